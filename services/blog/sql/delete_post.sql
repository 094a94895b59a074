WITH gone AS (DELETE FROM blog_comments_v1 WHERE post_id = $1)
UPDATE blog_posts_v1
SET deleted = true, title = '', body = '', tags = '{}', published = false, comment_count = 0
WHERE post_id = $1
