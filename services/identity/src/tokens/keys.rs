use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{DecodingKey, EncodingKey};
use plinth_infra_postgres::{GenericClient, Pool};
use serde_json::{Value, json};

use super::TokenError;

/// One usable key: the active one signs, every one verifies.
pub(crate) struct Key {
    pub(crate) kid: String,
    pub(crate) active: bool,
    /// For a retired key: when the last token it signed has expired; it verifies nothing after.
    pub(crate) verify_until: Option<chrono::DateTime<chrono::Utc>>,
    pub(crate) encoding: EncodingKey,
    pub(crate) decoding: DecodingKey,
    public: Vec<u8>,
}

impl Key {
    /// Whether the key still verifies tokens at `now`.
    pub(crate) fn verifies_at(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.active || self.verify_until.is_some_and(|until| now < until)
    }

    /// The key as a JWK (RFC 8037, OKP / Ed25519).
    pub(crate) fn jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(&self.public),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
    }
}

/// Makes a new Ed25519 key the active one; the previous active key is retired but verifies for
/// `verify_secs` more (the lifetime of the tokens it signed). Returns the new key id.
pub(crate) async fn rotate(pool: &Pool, kid: &str, verify_secs: f64) -> Result<(), TokenError> {
    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let private = signing
        .to_pkcs8_der()
        .map_err(|e| TokenError::Keys(e.to_string()))?;
    let public = signing.verifying_key().to_bytes().to_vec();
    let mut client = pool
        .get()
        .await
        .map_err(|e| TokenError::Keys(e.to_string()))?;
    let tx = client.transaction().await?;
    tx.execute(
        include_str!("../../sql/retire_active_key.sql"),
        &[&verify_secs],
    )
    .await?;
    tx.execute(
        include_str!("../../sql/insert_key.sql"),
        &[&kid, &"EdDSA", &private.as_bytes(), &public],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The active key and the retired keys still valid for verification.
pub(crate) async fn load(client: &impl GenericClient) -> Result<Vec<Key>, TokenError> {
    let rows = client
        .query(include_str!("../../sql/usable_keys.sql"), &[])
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let private: Vec<u8> = row.get("private_key");
            let public: Vec<u8> = row.get("public_key");
            Key {
                kid: row.get("kid"),
                active: row.get("active"),
                verify_until: row.get("verify_until"),
                encoding: EncodingKey::from_ed_der(&private),
                decoding: DecodingKey::from_ed_der(&public),
                public,
            }
        })
        .collect())
}
