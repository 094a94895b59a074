-- A password change ends every earlier session but the one that made it.
ALTER TABLE users_v1 ADD COLUMN session_kept uuid;
