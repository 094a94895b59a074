UPDATE blog_comments_v1 SET body = $2, updated_at = $3 WHERE comment_id = $1
