-- Dropped when the post is deleted already.
INSERT INTO blog_comments_v1 (comment_id, post_id, tenant_id, author, body, created_at, updated_at)
SELECT $1, $2, $3, $4, $5, $6, $6
WHERE NOT EXISTS (SELECT 1 FROM blog_posts_v1 WHERE post_id = $2 AND deleted)
ON CONFLICT (comment_id) DO NOTHING
