UPDATE identity_signing_keys
SET retired_at = now(), verify_until = now() + make_interval(secs => $1)
WHERE retired_at IS NULL
