WITH gone AS (DELETE FROM blog_comments_v1 WHERE post_id = $1)
DELETE FROM blog_posts_v1 WHERE post_id = $1
