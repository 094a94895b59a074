INSERT INTO blog_posts_v1 (post_id, tenant_id, author, title, body, tags, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
ON CONFLICT (post_id) DO NOTHING
