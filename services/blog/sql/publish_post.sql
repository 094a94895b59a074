UPDATE blog_posts_v1
SET published = $2, published_at = CASE WHEN $2 THEN $3::timestamptz END, updated_at = $3
WHERE post_id = $1
