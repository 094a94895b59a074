use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn no_dir() -> &'static Path {
    Path::new("/nonexistent/plinth-config")
}

#[test]
fn environment_overrides_defaults_by_section_and_key() {
    let settings = Settings::load(
        no_dir(),
        &env(&[
            ("PLINTH_DATABASE_URL", "postgres://x@h/db"),
            ("PLINTH_SCHEMA_REGISTRY_URL", "http://reg:1"),
            ("PLINTH_KAFKA_FETCH_WAIT_MAX_MS", "25"),
            ("PLINTH_TANSU_BIN", "/ignored"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.database_url().unwrap(), "postgres://x@h/db");
    assert_eq!(settings.schema_registry.url, "http://reg:1");
    assert_eq!(settings.kafka.fetch_wait_max_ms, 25);
    assert_eq!(settings.kafka.brokers, "127.0.0.1:9092");
}

#[test]
fn files_override_defaults_and_environment_overrides_files() {
    let dir = std::env::temp_dir().join(format!("plinth-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("10-local.toml"),
        "[kafka]\nbrokers = \"file:1\"\npartitions = 6\n",
    )
    .unwrap();
    let settings = Settings::load(&dir, &env(&[("PLINTH_KAFKA_BROKERS", "env:2")])).unwrap();
    assert_eq!(settings.kafka.brokers, "env:2");
    assert_eq!(settings.kafka.partitions, 6);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unknown_key_in_a_file_is_an_error_naming_it() {
    let dir = std::env::temp_dir().join(format!("plinth-config-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.toml"), "[kafka]\nbrokerz = \"x\"\n").unwrap();
    let err = Settings::load(&dir, &env(&[])).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(err.contains("brokerz"), "{err}");
}

#[test]
fn unusable_values_are_reported_together() {
    let err = Settings::load(
        no_dir(),
        &env(&[
            ("PLINTH_KAFKA_BROKERS", " "),
            ("PLINTH_RELAY_BATCH_SIZE", "0"),
        ]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("kafka.brokers") && err.contains("relay.batch_size"),
        "{err}"
    );
}

#[test]
fn a_missing_database_url_says_how_to_set_it() {
    let err = Settings::load(no_dir(), &env(&[]))
        .unwrap()
        .database_url()
        .unwrap_err()
        .to_string();
    assert!(err.contains("PLINTH_DATABASE_URL"), "{err}");
}

#[test]
fn a_mistyped_environment_variable_is_an_error_not_a_silent_default() {
    let err = Settings::load(no_dir(), &env(&[("PLINTH_KAFKA_BROKER", "kafka:9092")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("PLINTH_KAFKA_BROKER is not a setting") && err.contains("brokers"),
        "{err}"
    );
}

#[test]
fn environment_values_take_the_type_of_their_setting() {
    let settings = Settings::load(
        no_dir(),
        &env(&[
            ("PLINTH_KAFKA_TOPIC_PREFIX", "2024"),
            ("PLINTH_TELEMETRY_SERVICE_NAME", "1"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.kafka.topic_prefix, "2024");
    assert_eq!(settings.telemetry.service_name, "1");
    let err = Settings::load(no_dir(), &env(&[("PLINTH_KAFKA_PARTITIONS", "many")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("PLINTH_KAFKA_PARTITIONS must be a whole number"),
        "{err}"
    );
}

#[test]
fn a_secret_can_come_from_a_file() {
    let file = std::env::temp_dir().join(format!("plinth-secret-{}", std::process::id()));
    std::fs::write(&file, "postgres://u:s3cret@h/db\n").unwrap();
    let settings = Settings::load(
        no_dir(),
        &env(&[("PLINTH_DATABASE_URL_FILE", file.to_str().unwrap())]),
    )
    .unwrap();
    std::fs::remove_file(&file).unwrap();
    assert_eq!(settings.database_url().unwrap(), "postgres://u:s3cret@h/db");
    let err = Settings::load(
        no_dir(),
        &env(&[("PLINTH_DATABASE_URL_FILE", "/nonexistent/secret")]),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("PLINTH_DATABASE_URL_FILE: cannot read /nonexistent/secret"),
        "{err}"
    );
}

#[test]
fn secrets_do_not_print() {
    let settings = Settings::load(
        no_dir(),
        &env(&[("PLINTH_DATABASE_URL", "postgres://u:hunter2@h/db")]),
    )
    .unwrap();
    assert!(!format!("{settings:?}").contains("hunter2"));
}

#[test]
fn a_process_listener_is_optional_and_must_be_an_address() {
    let unset = Settings::load(no_dir(), &env(&[])).unwrap();
    assert_eq!(unset.telemetry.listen, None);
    let set = Settings::load(
        no_dir(),
        &env(&[("PLINTH_TELEMETRY_LISTEN", "127.0.0.1:9464")]),
    )
    .unwrap();
    assert_eq!(
        set.telemetry.listen,
        Some("127.0.0.1:9464".parse().unwrap())
    );
    let wrong = Settings::load(no_dir(), &env(&[("PLINTH_TELEMETRY_LISTEN", "everywhere")]))
        .unwrap_err()
        .to_string();
    assert!(wrong.contains("telemetry.listen"), "{wrong}");
}

#[test]
fn sasl_to_the_brokers_needs_a_known_protocol_mechanism_and_credentials() {
    let plain = Settings::load(no_dir(), &env(&[])).unwrap();
    assert_eq!(plain.kafka.security_protocol, "plaintext");
    assert!(!plain.kafka.sasl());
    let sasl = Settings::load(
        no_dir(),
        &env(&[
            ("PLINTH_KAFKA_SECURITY_PROTOCOL", "sasl_ssl"),
            ("PLINTH_KAFKA_SASL_USERNAME", "relay"),
            ("PLINTH_KAFKA_SASL_PASSWORD", "hunter2"),
        ]),
    )
    .unwrap();
    assert!(sasl.kafka.sasl());
    assert_eq!(sasl.kafka.sasl_mechanism, "SCRAM-SHA-512");
    assert_eq!(
        sasl.kafka
            .sasl_password
            .as_ref()
            .map(|p| p.expose().as_str()),
        Some("hunter2")
    );
    assert!(!format!("{sasl:?}").contains("hunter2"));

    let refused = |vars: &[(&str, &str)]| {
        Settings::load(no_dir(), &env(vars))
            .unwrap_err()
            .to_string()
    };
    assert!(
        refused(&[("PLINTH_KAFKA_SECURITY_PROTOCOL", "sasl_plaintext")])
            .contains("needs kafka.sasl_username and kafka.sasl_password")
    );
    assert!(
        refused(&[("PLINTH_KAFKA_SECURITY_PROTOCOL", "SASL")])
            .contains("kafka.security_protocol must be")
    );
    assert!(
        refused(&[
            ("PLINTH_KAFKA_SECURITY_PROTOCOL", "sasl_plaintext"),
            ("PLINTH_KAFKA_SASL_MECHANISM", "GSSAPI"),
            ("PLINTH_KAFKA_SASL_USERNAME", "relay"),
            ("PLINTH_KAFKA_SASL_PASSWORD", "x"),
        ])
        .contains("kafka.sasl_mechanism must be")
    );
}

#[test]
fn a_registry_password_is_optional_and_a_secret() {
    let set = Settings::load(
        no_dir(),
        &env(&[("PLINTH_SCHEMA_REGISTRY_PASSWORD", "hunter2")]),
    )
    .unwrap();
    assert_eq!(set.schema_registry.username, "plinth");
    assert_eq!(
        set.schema_registry
            .password
            .as_ref()
            .map(|p| p.expose().as_str()),
        Some("hunter2")
    );
    assert!(!format!("{set:?}").contains("hunter2"));
    assert!(
        Settings::load(no_dir(), &env(&[]))
            .unwrap()
            .schema_registry
            .password
            .is_none()
    );
}
