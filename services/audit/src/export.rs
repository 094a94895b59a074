//! Writes records as JSON Lines or CSV for a SIEM, one row at a time.

use std::io::Write;

use plinth_domain_audit::AuditRecord;
use plinth_infra_postgres::Pool;

use crate::store::{RecordFilter, scan_records};
use crate::{AuditError, Result};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line, fields as in the record.
    Jsonl,
    /// RFC 4180 CSV with a header row; an absent value is an empty cell.
    Csv,
}

/// The CSV columns, in order (the record's fields).
pub const CSV_COLUMNS: [&str; 17] = [
    "tenant_id",
    "position",
    "at",
    "actor",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "source_ip",
    "user_agent",
    "correlation_id",
    "causation_id",
    "source_event_id",
    "source_position",
    "details",
    "prev_hash",
    "hash",
];

enum Sink<W: Write> {
    Jsonl(W),
    Csv(Box<csv::Writer<W>>),
}

fn write_error(e: impl std::fmt::Display) -> AuditError {
    AuditError::Write(e.to_string())
}

/// Writes every record matching `filter` to `out`; returns how many. Unreadable stored
/// records stop the export (run `plinth audit verify`).
pub async fn export<W: Write>(
    pool: &Pool,
    filter: &RecordFilter,
    format: Format,
    out: W,
    progress: &dyn Fn(u64),
) -> Result<u64> {
    let mut sink = match format {
        Format::Jsonl => Sink::Jsonl(out),
        Format::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
    };
    let mut written = 0;
    scan_records(pool, filter, |trail, record| {
        let record: AuditRecord = record.map_err(|reason| AuditError::Unreadable {
            what: format!("a record of tenant {trail}"),
            reason,
        })?;
        match &mut sink {
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &record).map_err(write_error)?;
                out.write_all(b"\n").map_err(write_error)?;
            }
            Sink::Csv(out) => out.serialize(&record).map_err(write_error)?,
        }
        written += 1;
        if written % 1000 == 0 {
            progress(written);
        }
        Ok(())
    })
    .await?;
    match sink {
        Sink::Jsonl(mut out) => out.flush().map_err(write_error)?,
        Sink::Csv(mut out) => out.flush().map_err(write_error)?,
    }
    progress(written);
    Ok(written)
}
