INSERT INTO identity_signing_keys (kid, algorithm, private_key, public_key) VALUES ($1, $2, $3, $4)
