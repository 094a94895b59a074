WITH gone AS (DELETE FROM blog_comments_v1 WHERE comment_id = $1 RETURNING post_id)
UPDATE blog_posts_v1 SET comment_count = comment_count - 1
WHERE post_id IN (SELECT post_id FROM gone)
