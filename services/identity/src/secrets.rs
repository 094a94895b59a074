//! Random single-use tokens handed to users (refresh tokens, e-mail verification and reset
//! tokens): `<id>.<256 random bits, base64url>`, where `<id>` names the aggregate the token
//! belongs to. Only the SHA-256 of the whole token is stored.

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
    let token = format!("{}.{}", id.simple(), URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&token);
    Secret { token, hash }
}

/// The aggregate a presented token names, and the token's hash; `None` when it is not shaped
/// like one of ours.
pub(crate) fn parse(token: &str) -> Option<(Uuid, TokenHash)> {
    let (id, secret) = token.split_once('.')?;
    if secret.len() != 43
        || !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    // Only the form `generate` writes: a reformatted id (hyphens, capitals) would hash
    // differently and dodge reuse detection.
    let parsed = Uuid::try_parse(id).ok()?;
    if id != parsed.simple().to_string() {
        return None;
    }
    Some((parsed, hash(token)))
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
        let id = uuid.simple().to_string();
        let secret = "a".repeat(43);
        assert!(parse(&format!("{id}.{secret}")).is_some());
        for reformatted in [uuid.hyphenated().to_string(), id.to_uppercase()] {
            assert_eq!(
                parse(&format!("{reformatted}.{secret}")),
                None,
                "{reformatted}"
            );
        }
        for bad in [
            "",
            "abc",
            &format!("{id}.short"),
            &format!("{id}.{}", "*".repeat(43)),
            &format!("nope.{}", "a".repeat(43)),
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
