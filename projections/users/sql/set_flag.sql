-- $1 user, $2 email_verified, $3 disabled, $4 administrator (NULL: unchanged),
-- $5 sessions_not_before (NULL: unchanged), $6 version.
UPDATE users_v1
SET email_verified      = coalesce($2, email_verified),
    disabled            = coalesce($3, disabled),
    administrator       = coalesce($4, administrator),
    sessions_not_before = coalesce($5, sessions_not_before),
    version             = $6
WHERE user_id = $1
