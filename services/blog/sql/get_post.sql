SELECT post_id, author, title, body, tags, published, published_at, created_at, updated_at,
       comment_count
FROM blog_posts_v1
WHERE tenant_id = $1 AND post_id = $2 AND NOT deleted
