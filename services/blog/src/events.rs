//! The Blog's published contract: its events as consumers see them (`plinth.blog.post` and
//! `plinth.blog.comment`, Avro in `avro/`), the mapping from the stored domain events
//! ([`EVENTS`], what the module registers), and back ([`BlogEvent`], what its projection and
//! any consumer decode).

use apache_avro::types::Value;
use chrono::{DateTime, Utc};
use plinth_schemas::{
    DecodeEvent, Error, EventSchema, EventSet, Fields, Result, event_schema, micros, payload,
    record,
};
use uuid::Uuid;

use crate::domain::{CommentEvent, PostEvent};

macro_rules! blog {
    ($aggregate:literal, $event:literal) => {
        event_schema!(
            $aggregate,
            $event,
            concat!("plinth.blog.", $event),
            concat!("avro/", $event, ".avsc")
        )
    };
}

static SCHEMAS: [EventSchema; 8] = [
    blog!("blog.post", "PostCreated"),
    blog!("blog.post", "PostEdited"),
    blog!("blog.post", "PostPublished"),
    blog!("blog.post", "PostUnpublished"),
    blog!("blog.post", "PostDeleted"),
    blog!("blog.comment", "CommentAdded"),
    blog!("blog.comment", "CommentEdited"),
    blog!("blog.comment", "CommentDeleted"),
];

/// The Blog's published events.
pub static EVENTS: EventSet = EventSet {
    module: "blog",
    schemas: &SCHEMAS,
    encode,
};

fn strings(items: Vec<String>) -> Value {
    Value::Array(items.into_iter().map(Value::String).collect())
}

fn encode(schema: &'static EventSchema, json: &serde_json::Value) -> Result<Value> {
    let id = |name: &str, id: Uuid| (name.to_owned(), Value::Uuid(id));
    let fields: Vec<(String, Value)> = if schema.aggregate_type == "blog.post" {
        match payload::<PostEvent>(schema.event_type, json)? {
            PostEvent::PostCreated(e) => vec![
                id("post_id", e.post_id),
                ("tenant_id".into(), Value::String(e.tenant_id.to_string())),
                id("author", e.author),
                ("title".into(), Value::String(e.title.as_str().to_owned())),
                ("body".into(), Value::String(e.body.as_str().to_owned())),
                ("tags".into(), strings(e.tags.names())),
                ("at".into(), micros(e.at)),
            ],
            PostEvent::PostEdited(e) => vec![
                id("post_id", e.post_id),
                ("tenant_id".into(), Value::String(e.tenant_id.to_string())),
                ("title".into(), Value::String(e.title.as_str().to_owned())),
                ("body".into(), Value::String(e.body.as_str().to_owned())),
                ("tags".into(), strings(e.tags.names())),
                ("at".into(), micros(e.at)),
            ],
            PostEvent::PostPublished(e)
            | PostEvent::PostUnpublished(e)
            | PostEvent::PostDeleted(e) => {
                vec![
                    id("post_id", e.post_id),
                    ("tenant_id".into(), Value::String(e.tenant_id.to_string())),
                    ("at".into(), micros(e.at)),
                ]
            }
        }
    } else {
        match payload::<CommentEvent>(schema.event_type, json)? {
            CommentEvent::CommentAdded(e) => vec![
                id("comment_id", e.comment_id),
                id("post_id", e.post_id),
                ("tenant_id".into(), Value::String(e.tenant_id.to_string())),
                id("author", e.author),
                ("body".into(), Value::String(e.body.as_str().to_owned())),
                ("at".into(), micros(e.at)),
            ],
            CommentEvent::CommentEdited(e) => vec![
                id("comment_id", e.comment_id),
                id("post_id", e.post_id),
                ("tenant_id".into(), Value::String(e.tenant_id.to_string())),
                ("body".into(), Value::String(e.body.as_str().to_owned())),
                ("at".into(), micros(e.at)),
            ],
            CommentEvent::CommentDeleted(e) => vec![
                id("comment_id", e.comment_id),
                id("post_id", e.post_id),
                ("tenant_id".into(), Value::String(e.tenant_id.to_string())),
                ("at".into(), micros(e.at)),
            ],
        }
    };
    Ok(record(
        fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect(),
    ))
}

/// `plinth.blog.PostCreated` and `PostEdited`, version 1 (`author` only on creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostV1 {
    pub post_id: Uuid,
    pub tenant_id: String,
    pub author: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub at: DateTime<Utc>,
}

/// `plinth.blog.PostPublished`, `PostUnpublished` and `PostDeleted`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostFactV1 {
    pub post_id: Uuid,
    pub tenant_id: String,
    pub at: DateTime<Utc>,
}

/// `plinth.blog.CommentAdded`, `CommentEdited` and `CommentDeleted`, version 1 (`author`
/// only when added, `body` not when deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentV1 {
    pub comment_id: Uuid,
    pub post_id: Uuid,
    pub tenant_id: String,
    pub author: Option<Uuid>,
    pub body: Option<String>,
    pub at: DateTime<Utc>,
}

/// Every Blog event, as a consumer decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlogEvent {
    PostCreated(PostV1),
    PostEdited(PostV1),
    PostPublished(PostFactV1),
    PostUnpublished(PostFactV1),
    PostDeleted(PostFactV1),
    CommentAdded(CommentV1),
    CommentEdited(CommentV1),
    CommentDeleted(CommentV1),
}

impl DecodeEvent for BlogEvent {
    fn decode(record_name: &str, value: Value) -> Result<Self> {
        let schema = EVENTS
            .schema_for_record(record_name)
            .ok_or_else(|| Error::UnknownRecord(record_name.to_owned()))?;
        let f = Fields::new(schema.record_name, value)?;
        let post = |f: &Fields, author: bool| -> Result<PostV1> {
            Ok(PostV1 {
                post_id: f.uuid("post_id")?,
                tenant_id: f.string("tenant_id")?,
                author: if author {
                    Some(f.uuid("author")?)
                } else {
                    None
                },
                title: f.string("title")?,
                body: f.string("body")?,
                tags: f.strings("tags")?,
                at: f.time("at")?,
            })
        };
        let fact = |f: &Fields| -> Result<PostFactV1> {
            Ok(PostFactV1 {
                post_id: f.uuid("post_id")?,
                tenant_id: f.string("tenant_id")?,
                at: f.time("at")?,
            })
        };
        let comment = |f: &Fields, author: bool, body: bool| -> Result<CommentV1> {
            Ok(CommentV1 {
                comment_id: f.uuid("comment_id")?,
                post_id: f.uuid("post_id")?,
                tenant_id: f.string("tenant_id")?,
                author: if author {
                    Some(f.uuid("author")?)
                } else {
                    None
                },
                body: if body { Some(f.string("body")?) } else { None },
                at: f.time("at")?,
            })
        };
        Ok(match schema.event_type {
            "PostCreated" => Self::PostCreated(post(&f, true)?),
            "PostEdited" => Self::PostEdited(post(&f, false)?),
            "PostPublished" => Self::PostPublished(fact(&f)?),
            "PostUnpublished" => Self::PostUnpublished(fact(&f)?),
            "PostDeleted" => Self::PostDeleted(fact(&f)?),
            "CommentAdded" => Self::CommentAdded(comment(&f, true, true)?),
            "CommentEdited" => Self::CommentEdited(comment(&f, false, true)?),
            _ => Self::CommentDeleted(comment(&f, false, false)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::TimeZone;
    use plinth_domain_core::TenantId;

    use super::*;
    use crate::domain::{PostCreated, Tags, Text, Title};

    #[test]
    fn the_blog_schemas_are_locked_and_compatible_with_their_previous_versions() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("avro");
        if let Err(problems) = plinth_schemas::check_published(&SCHEMAS, &dir) {
            panic!("{}", problems.join("\n"));
        }
    }

    #[test]
    fn a_stored_post_maps_to_avro_and_back() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let stored = serde_json::to_value(PostEvent::PostCreated(PostCreated {
            post_id: Uuid::from_u128(1),
            tenant_id: TenantId::default(),
            author: Uuid::from_u128(7),
            title: Title::parse("Hello").unwrap(),
            body: Text::parse("Body.", Text::POST_MAX).unwrap(),
            tags: Tags::parse(&["rust", "intro"]).unwrap(),
            at,
        }))
        .unwrap();
        let catalog = plinth_schemas::Catalog::new([&EVENTS]).unwrap();
        let avro = catalog.encode("blog.post", "PostCreated", &stored).unwrap();
        let BlogEvent::PostCreated(post) =
            BlogEvent::decode(avro.schema.record_name, avro.value).unwrap()
        else {
            panic!("not a creation");
        };
        assert_eq!(post.author, Some(Uuid::from_u128(7)));
        assert_eq!(post.tags, ["intro", "rust"]);
        assert_eq!(post.at, at);
    }
}
