WITH added AS (
    INSERT INTO blog_comments_v1 (comment_id, post_id, tenant_id, author, body, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $6)
    ON CONFLICT (comment_id) DO NOTHING
    RETURNING post_id
)
UPDATE blog_posts_v1 SET comment_count = comment_count + 1
WHERE post_id IN (SELECT post_id FROM added)
