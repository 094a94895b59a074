UPDATE blog_posts_v1
SET comment_count = (SELECT count(*) FROM blog_comments_v1 WHERE post_id = $1)
WHERE post_id = $1
