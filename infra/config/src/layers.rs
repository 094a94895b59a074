//! How the configuration layers combine: files merge over defaults, environment variables
//! over both.

use toml::{Table, Value};

use crate::settings::Settings;
use crate::{Env, Error, Result};

const ENV_PREFIX: &str = "PLINTH_";

pub(crate) fn to_table(settings: &Settings) -> Table {
    match Value::try_from(settings) {
        Ok(Value::Table(t)) => t,
        _ => Table::new(),
    }
}

pub(crate) fn merge(into: &mut Table, from: Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Table(existing)), Value::Table(incoming)) => merge(existing, incoming),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// Maps `PLINTH_<SECTION>_<KEY>` onto `[section] key` (`PLINTH_SCHEMA_REGISTRY_URL` →
/// `schema_registry.url`), read as the type the setting has; `PLINTH_<SECTION>_<KEY>_FILE` reads
/// the value from a file. Variables that name no section
/// belong to the scripts and are ignored; an unknown key in a known section is an error, so a
/// typo is not silently replaced by a default.
pub(crate) fn apply_env(table: &mut Table, env: &impl Env) -> Result<()> {
    let known = to_table(&Settings::default());
    let mut sections: Vec<&String> = known.keys().collect();
    sections.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut problems = Vec::new();
    let mut vars = env.vars_with_prefix(ENV_PREFIX);
    vars.sort();
    for (name, raw) in vars {
        // `PLINTH_<SECTION>_<KEY>_FILE` names a file holding the value (Docker/Kubernetes secrets).
        let (name, raw) = match name.strip_suffix("_FILE") {
            Some(base) => match std::fs::read_to_string(&raw) {
                Ok(text) => (
                    base.to_owned(),
                    text.trim_end_matches(['\n', '\r']).to_owned(),
                ),
                Err(e) => {
                    problems.push(format!("{name}: cannot read {raw}: {e}"));
                    continue;
                }
            },
            None => (name, raw),
        };
        let path = name[ENV_PREFIX.len()..].to_ascii_lowercase();
        let Some(section) = sections.iter().find(|s| path.starts_with(&format!("{s}_"))) else {
            continue;
        };
        let key = &path[section.len() + 1..];
        let Some(Value::Table(defaults)) = known.get(section.as_str()) else {
            continue;
        };
        let value = match (
            defaults.get(key),
            OPTIONAL_KEYS.contains(&(section.as_str(), key)),
        ) {
            (Some(Value::Integer(_)), _) => raw
                .trim()
                .parse()
                .map(Value::Integer)
                .map_err(|_| "a whole number"),
            (Some(Value::Boolean(_)), _) => raw
                .trim()
                .parse()
                .map(Value::Boolean)
                .map_err(|_| "true or false"),
            (Some(_), _) | (None, true) => Ok(Value::String(raw.clone())),
            (None, false) => {
                let mut keys: Vec<&str> = defaults.keys().map(String::as_str).collect();
                keys.extend(
                    OPTIONAL_KEYS
                        .iter()
                        .filter(|(s, _)| s == section)
                        .map(|(_, k)| *k),
                );
                problems.push(format!(
                    "{name} is not a setting; [{section}] has {}",
                    keys.join(", ")
                ));
                continue;
            }
        };
        match value {
            Ok(value) => {
                if let Some(Value::Table(t)) = table.get_mut(section.as_str()) {
                    t.insert(key.to_owned(), value);
                }
            }
            Err(expected) => problems.push(format!("{name} must be {expected}, not {raw:?}")),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems.join("; ")))
    }
}

/// Settings without a default (absent from the defaults table).
const OPTIONAL_KEYS: [(&str, &str); 5] = [
    ("database", "url"),
    ("kafka", "sasl_password"),
    ("schema_registry", "password"),
    ("telemetry", "otlp_endpoint"),
    ("telemetry", "listen"),
];
