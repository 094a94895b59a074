-- Comments applied before their post (another topic) are counted in.
INSERT INTO blog_posts_v1 (post_id, tenant_id, author, title, body, tags, created_at, updated_at,
                           comment_count)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7,
        (SELECT count(*) FROM blog_comments_v1 WHERE post_id = $1))
ON CONFLICT (post_id) DO NOTHING
