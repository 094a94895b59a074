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
    /// RFC 4180 CSV with a header row; an absent value is an empty cell. A cell that starts
    /// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` before it, so a
    /// spreadsheet shows it as text instead of running it as a formula (OWASP's CSV
    /// injection advice); [`restore_cell`] takes the quote off again.
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

/// What makes a spreadsheet evaluate a cell.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell`, with a `'` before it if a spreadsheet would evaluate it.
fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// An exported CSV cell as the record holds it: without the `'` the export put before a cell
/// that a spreadsheet would have evaluated.
pub fn restore_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// A record's fields as text, in [`CSV_COLUMNS`] order.
fn csv_row(record: &AuditRecord) -> [String; 17] {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        record.tenant_id.clone(),
        record.position.to_string(),
        plinth_domain_audit::timestamp(&record.at),
        record.actor.clone(),
        record.action.clone(),
        record.target_type.clone(),
        record.target_id.clone(),
        record.outcome.as_str().to_owned(),
        text(&record.source_ip),
        text(&record.user_agent),
        text(&record.correlation_id),
        text(&record.causation_id),
        record.source_event_id.to_string(),
        record.source_position.to_string(),
        record.details.clone(),
        record.prev_hash.clone(),
        record.hash.clone(),
    ]
}

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
        Format::Csv => Sink::Csv(Box::new(
            csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(out),
        )),
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
            Sink::Csv(out) => {
                if written == 0 {
                    out.write_record(CSV_COLUMNS).map_err(write_error)?;
                }
                out.write_record(csv_row(&record).iter().map(|c| neutralize(c).into_owned()))
                    .map_err(write_error)?;
            }
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
