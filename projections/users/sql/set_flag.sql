-- $1 user, $2 email_verified, $3 disabled, $4 administrator (NULL: unchanged),
-- $5 sessions_not_before (NULL: unchanged), $6 version, $7 the session kept from
-- $5's cut (replaced whenever $5 is set).
UPDATE users_v1
SET email_verified      = coalesce($2, email_verified),
    disabled            = coalesce($3, disabled),
    administrator       = coalesce($4, administrator),
    sessions_not_before = coalesce($5, sessions_not_before),
    session_kept        = CASE WHEN $5 IS NULL THEN session_kept ELSE $7 END,
    version             = $6
WHERE user_id = $1
