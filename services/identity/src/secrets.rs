//! Random single-use tokens handed to users (refresh tokens, e-mail verification and reset
//! tokens): `<id>.<secret>`, where `<id>` is the 16 bytes of the aggregate's UUID and
//! `<secret>` 256 random bits, both base64url without padding (66 characters in all, short
//! enough for one line of a 7bit e-mail). Only the SHA-256 of the whole token is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use plinth_domain_identity::TokenHash;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A freshly generated token: what the user gets, and what is stored.
#[derive(Debug, Clone)]
pub(crate) struct Secret {
    pub(crate) token: String,
    pub(crate) hash: TokenHash,
}

/// A new token for the aggregate `id`.
pub(crate) fn generate(id: Uuid) -> Secret {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(id.as_bytes()),
        URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash(&token);
    Secret { token, hash }
}

/// The aggregate a presented token names, and the token's hash; `None` when it is not shaped
/// like one of ours.
pub(crate) fn parse(token: &str) -> Option<(Uuid, TokenHash)> {
    let (id, secret) = token.split_once('.')?;
    if secret.len() != 43 || !secret.bytes().all(is_base64url) {
        return None;
    }
    // Only the form `generate` writes: an id spelled another way (the base64 of 16 bytes has
    // spare bits) would hash differently and dodge reuse detection.
    let bytes: [u8; 16] = URL_SAFE_NO_PAD.decode(id).ok()?.try_into().ok()?;
    if id.len() != 22 || URL_SAFE_NO_PAD.encode(bytes) != id {
        return None;
    }
    Some((Uuid::from_bytes(bytes), hash(token)))
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn hash(token: &str) -> TokenHash {
    TokenHash(hex::encode(Sha256::digest(token.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_back_to_its_id_and_hash() {
        let id = Uuid::now_v7();
        let secret = generate(id);
        assert_eq!(parse(&secret.token), Some((id, secret.hash.clone())));
        assert_ne!(generate(id).hash, secret.hash, "tokens are random");
        assert!(!secret.hash.0.contains(&secret.token));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let uuid = Uuid::now_v7();
        let id = URL_SAFE_NO_PAD.encode(uuid.as_bytes());
        let secret = "a".repeat(43);
        assert_eq!(parse(&format!("{id}.{secret}")).map(|(u, _)| u), Some(uuid));
        for other_spelling in [uuid.simple().to_string(), format!("{id}=")] {
            assert_eq!(
                parse(&format!("{other_spelling}.{secret}")),
                None,
                "{other_spelling}"
            );
        }
        for bad in [
            String::new(),
            "abc".into(),
            format!("{id}.short"),
            format!("{id}.{}", "*".repeat(43)),
            format!("nope.{secret}"),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn a_token_fits_a_7bit_mail_line() {
        assert_eq!(generate(Uuid::now_v7()).token.len(), 66);
    }
}
