//! How every API writes instants: RFC 3339 in UTC, to the microsecond (`2026-11-24T12:00:00.000000Z`).

use chrono::{DateTime, Utc};

/// `at` as the API writes it.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
