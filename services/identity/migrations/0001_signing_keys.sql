-- The identity service's token signing keys (Ed25519). One is active; retired keys stay for
-- verification until every token they signed has expired.
-- The private key is stored as PKCS#8 DER; protect this table like a secret.
CREATE TABLE identity_signing_keys
(
    kid          text        PRIMARY KEY,
    algorithm    text        NOT NULL,
    private_key  bytea       NOT NULL,
    public_key   bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz,
    verify_until timestamptz
);

-- At most one active key.
CREATE UNIQUE INDEX identity_signing_keys_one_active ON identity_signing_keys ((true)) WHERE retired_at IS NULL;
