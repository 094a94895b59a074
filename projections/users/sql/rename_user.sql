UPDATE users_v1 SET display_name = $2, version = $3 WHERE user_id = $1
