//! The checkpoint signing key (a PKCS#8 PEM file) and public keys given to the verifier.

use std::io::Write;
use std::path::Path;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};

/// Why a key could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the key file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the key file {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{0} is not an Ed25519 key: give a PEM public key, a PEM private key, or 64 hex digits"
    )]
    NotAKey(String),
}

/// Reads the signing key at `path`, creating one (readable by its owner only) when the file
/// does not exist. The flag says whether it was created.
pub fn load_or_create_signing_key(path: &Path) -> Result<(SigningKey, bool), KeyError> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(pem) => SigningKey::from_pkcs8_pem(&pem)
            .map(|key| (key, false))
            .map_err(|_| KeyError::NotAKey(shown)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SigningKey::generate(&mut rand::rngs::OsRng);
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .expect("an Ed25519 key encodes as PKCS#8");
            let write = |source| KeyError::Write {
                path: shown.clone(),
                source,
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(write)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(write)?;
            file.write_all(pem.as_bytes()).map_err(write)?;
            Ok((key, true))
        }
        Err(source) => Err(KeyError::Read {
            path: shown,
            source,
        }),
    }
}

/// A public key from text: a PEM public key, a PEM private key (its public half), or the key's
/// 32 bytes in hex. `what` names the source in errors.
pub fn parse_public_key(text: &str, what: &str) -> Result<VerifyingKey, KeyError> {
    let text = text.trim();
    if let Ok(key) = VerifyingKey::from_public_key_pem(text) {
        return Ok(key);
    }
    if let Ok(key) = SigningKey::from_pkcs8_pem(text) {
        return Ok(key.verifying_key());
    }
    let bytes: [u8; 32] = hex_bytes(text).ok_or_else(|| KeyError::NotAKey(what.to_owned()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::NotAKey(what.to_owned()))
}

/// Reads a public key from a file (any form [`parse_public_key`] takes).
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: shown.clone(),
        source,
    })?;
    parse_public_key(&text, &shown)
}

/// The public key as PEM (SubjectPublicKeyInfo), for `plinth audit public-key`.
pub fn public_key_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(LineEnding::LF)
        .expect("an Ed25519 public key encodes as SPKI")
}

fn hex_bytes(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut bytes = [0; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_is_created_once_and_its_public_half_reads_back_in_every_form() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/audit.pem");
        let (key, created) = load_or_create_signing_key(&path).unwrap();
        assert!(created);
        let (again, created) = load_or_create_signing_key(&path).unwrap();
        assert!(!created);
        assert_eq!(again.to_bytes(), key.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let public = key.verifying_key();
        let pem = public_key_pem(&public);
        assert_eq!(parse_public_key(&pem, "pem").unwrap(), public);
        let hex: String = public
            .as_bytes()
            .iter()
            .fold(String::new(), |hex, b| hex + &format!("{b:02x}"));
        assert_eq!(parse_public_key(&hex, "hex").unwrap(), public);
        assert_eq!(read_public_key(&path).unwrap(), public);
        assert!(matches!(
            parse_public_key("nonsense", "arg"),
            Err(KeyError::NotAKey(what)) if what == "arg"
        ));
    }
}
