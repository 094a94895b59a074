DELETE FROM blog_comments_v1 WHERE comment_id = $1
