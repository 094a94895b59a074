ALTER TABLE users_v1
    ADD COLUMN email_verified      boolean     NOT NULL DEFAULT false,
    ADD COLUMN disabled            boolean     NOT NULL DEFAULT false,
    ADD COLUMN administrator       boolean     NOT NULL DEFAULT false,
    ADD COLUMN sessions_not_before timestamptz;

-- Listing pages through a tenant's users in id order (UUID v7: creation order).
CREATE INDEX users_v1_tenant_id ON users_v1 (tenant_id, user_id);
