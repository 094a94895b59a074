//! Confluent's own Python client (`confluent-kafka`) against the registry: its
//! `SchemaRegistryClient` and its Avro serializer and deserializer.

use std::path::Path;
use std::process::Command;

use crate::support::Registry;

#[tokio::test]
async fn the_python_confluent_client_registers_serializes_and_deserializes() {
    let python = std::env::var("PLINTH_PYTHON").unwrap_or_else(|_| {
        panic!(
            "PLINTH_PYTHON is not set: run the tests through `make test`, which creates the Python \
             virtualenv (infra/scripts/python-env.sh) and exports PLINTH_PYTHON"
        )
    });
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/registry_client_check.py");
    let registry = Registry::start().await;
    let url = registry.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(&script)
            .arg(&url)
            .env("PYTHONWARNINGS", "ignore")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {python}: {e}"))
    })
    .await
    .expect("the Python check ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python client check failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    println!("{stdout}");
    assert!(stdout.contains("all checks passed"), "{stdout}");
}
