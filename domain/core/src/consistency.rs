use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Names one committed write (`plinth_infra_event_store::names_committed_write` checks one): an aggregate and the sequence its last event reached. A read model
/// that has applied this aggregate up to this sequence reflects the write. Opaque to clients
/// (URL-safe base64), versioned so the format can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyToken {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
}

/// Why a string is not a consistency token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the consistency token is not one this service issued")]
pub struct TokenError;

const VERSION: &str = "1";

impl fmt::Display for ConsistencyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = format!(
            "{VERSION}|{}|{}|{}",
            self.aggregate_type, self.sequence, self.aggregate_id
        );
        f.write_str(&URL_SAFE_NO_PAD.encode(raw))
    }
}

impl FromStr for ConsistencyToken {
    type Err = TokenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let raw = URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| TokenError)?;
        let raw = String::from_utf8(raw).map_err(|_| TokenError)?;
        let mut parts = raw.splitn(4, '|');
        let (Some(VERSION), Some(aggregate_type), Some(sequence), Some(aggregate_id)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError);
        };
        let sequence = sequence.parse().map_err(|_| TokenError)?;
        if aggregate_type.is_empty() || aggregate_id.is_empty() {
            return Err(TokenError);
        }
        Ok(Self {
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            sequence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_through_its_string_form() {
        let token = ConsistencyToken {
            aggregate_type: "identity.user".into(),
            aggregate_id: "a|b".into(),
            sequence: 3,
        };
        assert_eq!(token.to_string().parse::<ConsistencyToken>(), Ok(token));
    }

    #[test]
    fn garbage_is_not_a_token() {
        for bad in [
            "",
            "!!",
            "MXx4",
            &URL_SAFE_NO_PAD.encode("2|t|1|id"),
            &URL_SAFE_NO_PAD.encode("1|t|x|id"),
        ] {
            assert_eq!(bad.parse::<ConsistencyToken>(), Err(TokenError), "{bad}");
        }
    }
}
