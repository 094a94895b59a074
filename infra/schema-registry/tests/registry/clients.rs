//! Real clients against the registry: `schema_registry_converter` (Confluent wire format round
//! trip) and concurrent registrations.

use apache_avro::types::Value;
use futures::future::join_all;
use schema_registry_converter::async_impl::avro::{AvroDecoder, AvroEncoder};
use schema_registry_converter::async_impl::schema_registry::{
    SrSettings, get_all_subjects, get_all_versions, is_compatible_schema,
};
use schema_registry_converter::schema_registry_common::{
    SchemaType, SubjectNameStrategy, SuppliedSchema,
};
use serde_json::json;

use crate::support::Registry;

const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"plinth.test","fields":[
    {"name":"id","type":"string"},
    {"name":"amount","type":"long"},
    {"name":"note","type":["null","string"],"default":null}]}"#;

fn settings(registry: &Registry) -> SrSettings {
    SrSettings::new_builder(registry.url.clone())
        .no_proxy()
        .build()
        .expect("the converter's settings build")
}

fn order_schema() -> SuppliedSchema {
    SuppliedSchema::new(
        Some("plinth.test.Order".to_owned()),
        SchemaType::Avro,
        ORDER.to_owned(),
    )
}

fn order(id: &str, amount: i64) -> Vec<(&'static str, Value)> {
    vec![
        ("id", Value::String(id.to_owned())),
        ("amount", Value::Long(amount)),
        ("note", Value::Union(0, Box::new(Value::Null))),
    ]
}

/// The 4-byte big-endian schema id after the magic byte 0.
fn wire_id(bytes: &[u8]) -> i64 {
    assert_eq!(bytes[0], 0, "the magic byte");
    i64::from(u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]))
}

#[tokio::test]
async fn schema_registry_converter_encodes_and_decodes_through_the_registry() {
    let registry = Registry::start().await;
    let encoder = AvroEncoder::new(settings(&registry));
    let decoder = AvroDecoder::new(settings(&registry));

    for strategy in [
        SubjectNameStrategy::TopicRecordNameStrategyWithSchema("orders".to_owned(), order_schema()),
        SubjectNameStrategy::TopicNameStrategyWithSchema(
            "orders".to_owned(),
            false,
            order_schema(),
        ),
    ] {
        let subject = strategy.get_subject().unwrap();
        let bytes = encoder
            .encode(order("o-1", 42), strategy)
            .await
            .expect("the encoder registers the schema and encodes");
        let (_, latest) = registry
            .get(&format!("/subjects/{subject}/versions/latest"))
            .await;
        assert_eq!(wire_id(&bytes), latest["id"].as_i64().unwrap(), "{subject}");

        let decoded = decoder
            .decode(Some(&bytes))
            .await
            .expect("the decoder decodes");
        assert_eq!(
            decoded.value,
            Value::Record(
                order("o-1", 42)
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value))
                    .collect()
            )
        );
        assert_eq!(
            decoded.name.map(|name| name.fullname(None)),
            Some("plinth.test.Order".to_owned())
        );
    }

    let sr = settings(&registry);
    let mut subjects = get_all_subjects(&sr).await.unwrap();
    subjects.sort();
    assert_eq!(subjects, vec!["orders-plinth.test.Order", "orders-value"]);
    assert_eq!(
        get_all_versions(&sr, "orders-value".to_owned())
            .await
            .unwrap(),
        vec![1]
    );
    let evolved = ORDER.replace(
        r#"{"name":"amount","type":"long"},"#,
        r#"{"name":"amount","type":"long"},{"name":"currency","type":"string","default":"EUR"},"#,
    );
    let compatible = SuppliedSchema::new(None, SchemaType::Avro, evolved);
    assert!(
        is_compatible_schema(&sr, "orders-value".to_owned(), compatible)
            .await
            .unwrap()
    );
    let breaking = ORDER.replace(r#""type":"long""#, r#""type":"string""#);
    let incompatible = SuppliedSchema::new(None, SchemaType::Avro, breaking);
    assert!(
        !is_compatible_schema(&sr, "orders-value".to_owned(), incompatible)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn concurrent_registrations_of_one_schema_make_one_version_and_one_id() {
    let registry = Registry::start().await;
    let attempts = (0..16).map(|_| registry.register("race-value", ORDER));
    let ids = join_all(attempts).await;
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(
        registry.get("/subjects/race-value/versions").await.1,
        json!([1])
    );
}

#[tokio::test]
async fn concurrent_registrations_of_different_schemas_number_versions_without_gaps() {
    let registry = Registry::start().await;
    registry.set_compatibility("race-value", "NONE").await;
    let schemas: Vec<String> = (0..16)
        .map(|i| {
            ORDER.replace(
                r#"{"name":"amount","type":"long"},"#,
                &format!(r#"{{"name":"amount","type":"long"}},{{"name":"f{i}","type":"int","default":{i}}},"#),
            )
        })
        .collect();
    let ids = join_all(
        schemas
            .iter()
            .map(|schema| registry.register("race-value", schema)),
    )
    .await;
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 16, "{ids:?}");
    assert_eq!(
        registry.get("/subjects/race-value/versions").await.1,
        json!((1..=16).collect::<Vec<_>>())
    );
}
