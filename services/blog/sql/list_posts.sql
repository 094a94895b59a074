-- Newest first, after the cursor ($7 created_at, $8 post_id). Filters: $2 author, $3 tag,
-- $6 published (true) or drafts (false). Visible: published posts, the drafts of $4 (the
-- caller), and every draft when $5 (the caller may read drafts).
SELECT post_id, author, title, body, tags, published, published_at, created_at, updated_at,
       comment_count
FROM blog_posts_v1
WHERE tenant_id = $1 AND NOT deleted
  AND ($2::uuid IS NULL OR author = $2)
  AND ($3::text IS NULL OR tags @> ARRAY[$3::text])
  AND (published OR author = $4::uuid OR $5)
  AND ($6::boolean IS NULL OR published = $6)
  AND ($7::timestamptz IS NULL OR (created_at, post_id) < ($7, $8::uuid))
ORDER BY created_at DESC, post_id DESC
LIMIT $9
