-- The active key and the retired keys whose tokens may still be valid, newest first.
SELECT kid, private_key, public_key, retired_at IS NULL AS active, verify_until
FROM identity_signing_keys
WHERE retired_at IS NULL OR verify_until > now()
ORDER BY created_at DESC
