UPDATE blog_posts_v1 SET title = $2, body = $3, tags = $4, updated_at = $5 WHERE post_id = $1
