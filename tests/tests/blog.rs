//! The Blog end to end over HTTP, against the real stack: posts and comments through their
//! whole life, the owner and editor rules at the route, drafts hidden, paging and filters,
//! every error shape; its events on Kafka as Confluent Avro and in the audit trail.

use std::sync::Arc;
use std::time::Duration;

use plinth_infra_kafka::AvroCodec;
use plinth_schemas::DecodeEvent;
use plinth_services_blog::BlogEvent;
use plinth_tests::{PlinthProcess, World, eventually, read_topic};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// A world with the Blog's projection, a relay, and its people: Ada and Carl write (their
/// post permissions bound `owner_only`), Bob edits anyone's, Eve comments, root moderates.
struct Newsroom {
    world: World,
    _relay: PlinthProcess,
    root: String,
    ada: (Uuid, String),
    carl: (Uuid, String),
    bob: (Uuid, String),
    eve: (Uuid, String),
}

impl Newsroom {
    async fn open() -> Self {
        let world = World::start().await;
        let relay = world.spawn_relay();
        world.start_projector(Arc::new(plinth_services_blog::BlogProjection));
        let root = world.bootstrap_admin("root@example.org").await;
        let role = |name: &'static str, permissions: &'static [&'static str]| {
            let (world, root) = (&world, &root);
            async move {
                let (status, role) = world
                    .post_as(
                        "/v1/authz/roles",
                        root,
                        json!({"name": name, "permissions": permissions}),
                    )
                    .await;
                assert_eq!(status, 201, "{role}");
                role["id"].as_str().unwrap().to_owned()
            }
        };
        let writers = role("writers", &["blog.post.create", "blog.comment.create"]).await;
        let authors = role(
            "authors",
            &["blog.post.update", "blog.post.delete", "blog.post.publish"],
        )
        .await;
        let editors = role("editors", &["blog.post.update", "blog.post.read"]).await;
        let commenters = role("commenters", &["blog.comment.create"]).await;
        let comment_owners = role(
            "comment-owners",
            &["blog.comment.update", "blog.comment.delete"],
        )
        .await;
        let bind = |subject: Uuid, role: String, owner_only: bool| {
            let (world, root) = (&world, &root);
            async move {
                let (status, bound) = world
                    .post_as(
                        "/v1/authz/bindings",
                        root,
                        json!({"subject": subject, "role": role, "owner_only": owner_only}),
                    )
                    .await;
                assert_eq!(status, 201, "{bound}");
            }
        };
        let ada = world.signed_in("ada@example.org").await;
        let carl = world.signed_in("carl@example.org").await;
        let bob = world.signed_in("bob@example.org").await;
        let eve = world.signed_in("eve@example.org").await;
        for author in [ada.0, carl.0] {
            bind(author, writers.clone(), false).await;
            bind(author, authors.clone(), true).await;
            bind(author, comment_owners.clone(), true).await;
        }
        bind(bob.0, editors, false).await;
        bind(eve.0, commenters, false).await;
        bind(eve.0, comment_owners, true).await;
        Self {
            world,
            _relay: relay,
            root,
            ada,
            carl,
            bob,
            eve,
        }
    }

    /// Sends `method path` as `bearer` (none: anonymously) with `body`, carrying `token` as
    /// `Consistency-Token`: status and body.
    async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .world
            .http
            .request(method, format!("{}{path}", self.world.gateway_url));
        if let Some(bearer) = bearer {
            request = request.header("Authorization", bearer);
        }
        if let Some(token) = token {
            request = request.header("Consistency-Token", token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Ada (or whoever `bearer` is) writes a post: its id and consistency token.
    async fn write(&self, bearer: &str, title: &str, tags: &[&str]) -> (String, String) {
        let (status, body) = self
            .call(
                Method::POST,
                "/v1/blog/posts",
                Some(bearer),
                None,
                Some(json!({"title": title, "body": format!("About {title}."), "tags": tags})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["id"].as_str().unwrap().to_owned(),
            body["consistency_token"].as_str().unwrap().to_owned(),
        )
    }
}

#[tokio::test]
async fn a_post_lives_from_draft_to_tombstone_under_the_owner_and_editor_rules() {
    let n = Newsroom::open().await;
    let (ada, carl, bob, eve) = (&n.ada.1, &n.carl.1, &n.bob.1, &n.eve.1);

    // Who may write at all.
    let draft = json!({"title": "Hello", "body": "First.", "tags": ["intro"]});
    let (status, problem) = n
        .call(
            Method::POST,
            "/v1/blog/posts",
            None,
            None,
            Some(draft.clone()),
        )
        .await;
    assert_eq!((status, problem["status"].as_u64()), (401, Some(401)));
    let (status, problem) = n
        .call(Method::POST, "/v1/blog/posts", Some(eve), None, Some(draft))
        .await;
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("blog.post.create"),
        "{problem}"
    );

    // Every bad field in one 422; not JSON is a 400, not a JSON body a 415.
    let (status, problem) = n
        .call(
            Method::POST,
            "/v1/blog/posts",
            Some(ada),
            None,
            Some(json!({"title": "  ", "tags": ["Rust!"]})),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "body", "tags"], "{problem}");
    let (status, problem) = n
        .call(
            Method::POST,
            "/v1/blog/posts",
            Some(ada),
            None,
            Some(json!({"title": 7, "body": "x"})),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "title", "{problem}");
    let response = n
        .world
        .http
        .post(format!("{}/v1/blog/posts", n.world.gateway_url))
        .header("Authorization", ada.as_str())
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);

    // A draft: its author and editors see it; nobody else does.
    let (post, token) = n.write(ada, "Hello", &["intro"]).await;
    let path = format!("/v1/blog/posts/{post}");
    let (status, read) = n
        .call(Method::GET, &path, Some(ada), Some(&token), None)
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        (read["status"].as_str(), read["author"].as_str()),
        (Some("draft"), Some(n.ada.0.to_string().as_str()))
    );
    assert_eq!(
        n.call(Method::GET, &path, Some(bob), None, None).await.0,
        200
    );
    assert_eq!(
        n.call(Method::GET, &path, Some(eve), None, None).await.0,
        404
    );
    assert_eq!(n.call(Method::GET, &path, None, None, None).await.0, 404);

    // Ada edits her own post; Bob, an editor, edits anyone's; Carl, another author, may not.
    let edit = |title: &str| Some(json!({ "title": title }));
    let (status, edited) = n
        .call(Method::PATCH, &path, Some(ada), None, edit("Hello, world"))
        .await;
    assert_eq!(status, 200, "{edited}");
    let (status, edited) = n
        .call(
            Method::PATCH,
            &path,
            Some(bob),
            None,
            edit("Hello, readers"),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    let (status, refused) = n
        .call(Method::PATCH, &path, Some(carl), None, edit("Mine now"))
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, refused) = n
        .call(Method::PATCH, &path, Some(ada), None, Some(json!({})))
        .await;
    assert_eq!(status, 422, "{refused}");
    let token = edited["consistency_token"].as_str().unwrap();
    let (_, read) = n
        .call(Method::GET, &path, Some(ada), Some(token), None)
        .await;
    assert_eq!(read["title"], "Hello, readers");
    assert_eq!(read["body"], "About Hello.");

    // Publishing: once, by its author; then anyone reads it.
    let publish = format!("{path}/publish");
    assert_eq!(
        n.call(Method::POST, &publish, Some(carl), None, None)
            .await
            .0,
        403
    );
    let (status, published) = n.call(Method::POST, &publish, Some(ada), None, None).await;
    assert_eq!(status, 200, "{published}");
    let (status, again) = n.call(Method::POST, &publish, Some(ada), None, None).await;
    assert_eq!(status, 409, "{again}");
    let token = published["consistency_token"].as_str().unwrap();
    let (status, read) = n.call(Method::GET, &path, None, Some(token), None).await;
    assert_eq!(
        (status, read["status"].as_str()),
        (200, Some("published")),
        "{read}"
    );
    assert!(read["published_at"].is_string());

    // Comments: Eve adds and edits her own; Bob may not touch it; root moderates.
    let comments = format!("{path}/comments");
    let (status, comment) = n
        .call(
            Method::POST,
            &comments,
            Some(eve),
            None,
            Some(json!({"body": "Nice!"})),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    let comment_path = format!("/v1/blog/comments/{}", comment["id"].as_str().unwrap());
    let (status, edited) = n
        .call(
            Method::PATCH,
            &comment_path,
            Some(eve),
            None,
            Some(json!({"body": "Very nice!"})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    let (status, _) = n
        .call(
            Method::PATCH,
            &comment_path,
            Some(bob),
            None,
            Some(json!({"body": "Meh."})),
        )
        .await;
    assert_eq!(status, 403);
    let token = edited["consistency_token"].as_str().unwrap();
    let (status, listed) = n
        .call(Method::GET, &comments, None, Some(token), None)
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["comments"][0]["body"], "Very nice!");
    let (_, read) = n.call(Method::GET, &path, None, Some(token), None).await;
    assert_eq!(read["comment_count"], 1, "{read}");
    let (status, moderated) = n
        .call(Method::DELETE, &comment_path, Some(&n.root), None, None)
        .await;
    assert_eq!(status, 200, "{moderated}");
    let token = moderated["consistency_token"].as_str().unwrap();
    let (_, read) = n.call(Method::GET, &path, None, Some(token), None).await;
    assert_eq!(read["comment_count"], 0, "{read}");

    // Unpublished, it is a draft again; a draft takes no comments.
    let (status, unpublished) = n
        .call(
            Method::POST,
            &format!("{path}/unpublish"),
            Some(ada),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{unpublished}");
    let (status, _) = n
        .call(
            Method::POST,
            &comments,
            Some(eve),
            None,
            Some(json!({"body": "Hello?"})),
        )
        .await;
    assert_eq!(status, 404);

    // Deleted: a tombstone; reads and commands answer 404.
    let (status, deleted) = n.call(Method::DELETE, &path, Some(ada), None, None).await;
    assert_eq!(status, 200, "{deleted}");
    let token = deleted["consistency_token"].as_str().unwrap();
    assert_eq!(
        n.call(Method::GET, &path, Some(ada), Some(token), None)
            .await
            .0,
        404
    );
    assert_eq!(
        n.call(Method::PATCH, &path, Some(bob), None, edit("Back"))
            .await
            .0,
        404
    );
    // Another tenant's post is no post here, whatever the caller may do in their own tenant.
    let globex = Uuid::now_v7();
    plinth_infra_event_store::CommandBus::<plinth_services_blog::domain::Post>::new(
        plinth_infra_event_store::sqlx_pool(&n.world.db.url, 1).unwrap(),
        (),
    )
    .execute(
        &globex.to_string(),
        plinth_services_blog::domain::PostCommand::Create {
            post_id: globex,
            tenant_id: plinth_domain_core::TenantId::parse("globex").unwrap(),
            author: Uuid::now_v7(),
            title: plinth_services_blog::domain::Title::parse("Theirs").unwrap(),
            body: plinth_services_blog::domain::Text::parse("Not yours.", 100).unwrap(),
            tags: plinth_services_blog::domain::Tags::default(),
            at: chrono::Utc::now(),
        },
        &plinth_domain_core::CommandMetadata::new(
            plinth_domain_core::TenantId::parse("globex").unwrap(),
            plinth_domain_core::Actor::Service("test".into()),
            Uuid::now_v7(),
        ),
    )
    .await
    .unwrap();
    let theirs = format!("/v1/blog/posts/{globex}");
    assert_eq!(
        n.call(Method::PATCH, &theirs, Some(bob), None, edit("Mine"))
            .await
            .0,
        404
    );
    assert_eq!(
        n.call(Method::DELETE, &theirs, Some(&n.root), None, None)
            .await
            .0,
        404
    );
    assert_eq!(
        n.call(
            Method::POST,
            &format!("{theirs}/publish"),
            Some(&n.root),
            None,
            None
        )
        .await
        .0,
        404
    );

    let nobody = format!("/v1/blog/posts/{}", Uuid::now_v7());
    assert_eq!(n.call(Method::GET, &nobody, None, None, None).await.0, 404);
    assert_eq!(
        n.call(Method::GET, "/v1/blog/posts/not-a-uuid", None, None, None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn listings_page_newest_first_filter_and_reach_kafka_and_the_audit_trail() {
    let n = Newsroom::open().await;
    n.world.start_audit();
    n.world
        .start_projector(Arc::new(plinth_projections_audit::AuditProjection));
    let (ada, carl) = (&n.ada.1, &n.carl.1);
    let mut published = Vec::new();
    for (bearer, title, tags) in [
        (ada, "One", &["rust"][..]),
        (carl, "Two", &["cqrs"][..]),
        (ada, "Three", &["rust", "cqrs"][..]),
    ] {
        let (post, _) = n.write(bearer, title, tags).await;
        let (status, body) = n
            .call(
                Method::POST,
                &format!("/v1/blog/posts/{post}/publish"),
                Some(bearer),
                None,
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        published.push((post, body["consistency_token"].as_str().unwrap().to_owned()));
    }
    let (draft, draft_token) = n.write(ada, "Draft", &["rust"]).await;
    let last = &published.last().unwrap().1;

    // Newest first, two at a time, anonymously: the draft is not listed.
    let (status, first) = n
        .call(
            Method::GET,
            "/v1/blog/posts?limit=2",
            None,
            Some(last),
            None,
        )
        .await;
    assert_eq!(status, 200, "{first}");
    let titles = |page: &Value| -> Vec<String> {
        page["posts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(titles(&first), ["Three", "Two"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = n
        .call(
            Method::GET,
            &format!("/v1/blog/posts?limit=2&cursor={cursor}"),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(titles(&second), ["One"]);
    assert!(second["next_cursor"].is_null());

    // Filters, and Ada's own draft for Ada.
    let (_, rust) = n
        .call(Method::GET, "/v1/blog/posts?tag=rust", None, None, None)
        .await;
    assert_eq!(titles(&rust), ["Three", "One"]);
    let (_, by_carl) = n
        .call(
            Method::GET,
            &format!("/v1/blog/posts?author={}", n.carl.0),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(titles(&by_carl), ["Two"]);
    let (_, mine) = n
        .call(
            Method::GET,
            "/v1/blog/posts?status=draft",
            Some(ada),
            Some(&draft_token),
            None,
        )
        .await;
    assert_eq!(titles(&mine), ["Draft"]);
    let (_, carls_drafts) = n
        .call(
            Method::GET,
            "/v1/blog/posts?status=draft",
            Some(carl),
            None,
            None,
        )
        .await;
    assert_eq!(titles(&carls_drafts), Vec::<String>::new());
    let (_, editors) = n
        .call(
            Method::GET,
            "/v1/blog/posts?status=draft",
            Some(&n.bob.1),
            None,
            None,
        )
        .await;
    assert_eq!(titles(&editors), ["Draft"]);
    for bad in [
        "limit=0",
        "cursor=nonsense",
        "status=secret",
        "author=ada",
        "colour=red",
    ] {
        let (status, problem) = n
            .call(
                Method::GET,
                &format!("/v1/blog/posts?{bad}"),
                None,
                None,
                None,
            )
            .await;
        assert_eq!(status, 422, "{bad}: {problem}");
    }

    // On Kafka, as a stock Confluent consumer reads them.
    let records = read_topic(
        &n.world.settings.kafka.brokers,
        &n.world.topic("blog.post"),
        n.world.settings.kafka.partitions,
        7,
        Duration::from_secs(30),
    )
    .await;
    let codec = AvroCodec::new(&n.world.settings.schema_registry).unwrap();
    let mut created = Vec::new();
    for record in &records {
        assert_eq!(record.value[0], 0, "Confluent wire format: magic byte 0");
        let decoded = codec.decode(&record.value).await.unwrap();
        if let BlogEvent::PostCreated(post) =
            BlogEvent::decode(&decoded.record_name, decoded.value).unwrap()
        {
            created.push(post.post_id.to_string());
        }
    }
    for (post, _) in &published {
        assert!(created.contains(post), "{post} in {created:?}");
    }
    assert!(created.contains(&draft));

    // In the audit trail, with no audit code that knows the Blog, and the trail verifies.
    eventually("the Blog's events in the audit trail", Duration::from_secs(60), || {
        let pool = n.world.pool.clone();
        async move {
            let client = pool.get().await.ok()?;
            let row = client
                .query_one(
                    "SELECT COUNT(*) FROM audit_records_v1 WHERE target_type = 'blog.post' AND action IN ('PostCreated', 'PostPublished')",
                    &[],
                )
                .await
                .ok()?;
            (row.get::<_, i64>(0) >= 7).then_some(())
        }
    })
    .await;
    let (code, out, err) = n.world.plinth(&["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}\n{err}");
}

#[tokio::test]
async fn a_post_scheduled_for_later_is_published_then_and_once() {
    let n = Newsroom::open().await;
    n.world
        .start_projector(Arc::new(plinth_services_scheduler::JobsProjection));
    let stop = tokio_util::sync::CancellationToken::new();
    for id in ["a", "b"] {
        let worker = n
            .world
            .stack()
            .scheduler_worker(
                plinth_services_scheduler::WorkerSettings {
                    id: id.to_owned(),
                    poll: Duration::from_millis(100),
                    ..plinth_services_scheduler::WorkerSettings::default()
                },
                stop.clone(),
            )
            .unwrap();
        tokio::spawn(worker.run(stop.clone()));
    }
    let ada = &n.ada.1;
    let (post, _) = n.write(ada, "Later", &[]).await;
    let publish = format!("/v1/blog/posts/{post}/publish");
    let (status, problem) = n
        .call(
            Method::POST,
            &publish,
            Some(ada),
            None,
            Some(json!({"at": "tomorrow"})),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let at = chrono::Utc::now() + chrono::Duration::seconds(3);
    let (status, scheduled) = n
        .call(
            Method::POST,
            &publish,
            Some(ada),
            None,
            Some(json!({ "at": at.to_rfc3339() })),
        )
        .await;
    assert_eq!(status, 202, "{scheduled}");
    assert!(scheduled["job_id"].is_string(), "{scheduled}");
    let path = format!("/v1/blog/posts/{post}");
    assert_eq!(
        n.call(Method::GET, &path, None, None, None).await.0,
        404,
        "a draft until then"
    );
    let published = eventually(
        "the post published at its time",
        Duration::from_secs(60),
        || async {
            let (status, body) = n.call(Method::GET, &path, None, None, None).await;
            (status == 200).then_some(body)
        },
    )
    .await;
    let published_at =
        chrono::DateTime::parse_from_rfc3339(published["published_at"].as_str().unwrap()).unwrap();
    assert!(
        published_at >= at,
        "not before its time: {published_at} < {at}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.cancel();
    let client = n.world.pool.get().await.unwrap();
    let times: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM events WHERE aggregate_type = 'blog.post' AND aggregate_id = $1 AND event_type = 'PostPublished'",
            &[&post],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(times, 1, "published once, with two workers");
}
