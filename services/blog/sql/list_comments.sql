SELECT comment_id, author, body, created_at, updated_at
FROM blog_comments_v1
WHERE tenant_id = $1 AND post_id = $2
  AND ($3::timestamptz IS NULL OR (created_at, comment_id) > ($3, $4::uuid))
ORDER BY created_at, comment_id
LIMIT $5
