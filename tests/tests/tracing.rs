//! One trace from an HTTP request to everything it causes, exported over OTLP: `plinth dev`
//! sends its spans to a small OTLP/HTTP receiver run by the test, and a registration's request,
//! command, relay publish, projection apply and audit record all land in the caller's trace,
//! each the child of what caused it. Also the request-scoped log fields and `X-Request-Id`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use plinth_tests::{DevStack, PASSWORD, eventually, free_addr};
use prost::Message;
use uuid::Uuid;

/// A span as the receiver got it.
#[derive(Clone, Debug)]
struct Received {
    name: String,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
}

type Spans = Arc<Mutex<Vec<Received>>>;

async fn export(State(spans): State<Spans>, body: Bytes) -> Vec<u8> {
    let request =
        ExportTraceServiceRequest::decode(body).expect("an OTLP/HTTP protobuf export request");
    let mut received = spans.lock().unwrap();
    for resource in request.resource_spans {
        for scope in resource.scope_spans {
            for span in scope.spans {
                received.push(Received {
                    name: span.name,
                    trace_id: span.trace_id,
                    span_id: span.span_id,
                    parent_span_id: span.parent_span_id,
                });
            }
        }
    }
    ExportTraceServiceResponse::default().encode_to_vec()
}

/// An OTLP/HTTP traces receiver on a free address: its endpoint and what it has received.
async fn receiver() -> (String, Spans) {
    let spans = Spans::default();
    let addr = free_addr();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let app = axum::Router::new()
        .route("/v1/traces", axum::routing::post(export))
        .with_state(spans.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1/traces"), spans)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, b| {
        use std::fmt::Write;
        write!(text, "{b:02x}").unwrap();
        text
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registration_is_one_trace_from_the_request_to_the_projection_and_the_audit_trail() {
    let (endpoint, spans) = receiver().await;
    let mut stack = DevStack::start_configured(&plinth_tests::env("PLINTH_KAFKA_BROKERS"), |s| {
        s.telemetry.otlp_endpoint = Some(endpoint);
    })
    .await;
    stack.wait_ready(Duration::from_secs(120)).await;

    let trace_id = format!("{:032x}", rand::random::<u128>() | 1);
    let caller_span = format!("{:016x}", rand::random::<u64>() | 1);
    let email = format!("traced-{}@example.org", Uuid::now_v7().simple());
    let registered = stack
        .registration(&email, "Traced")
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);

    let topic = format!(
        "{}identity.user",
        stack.settings.kafka.topic_prefix.as_str()
    );
    let expected = [
        "POST /v1/auth/register".to_owned(),
        "command".to_owned(),
        format!("{topic} publish"),
        "users_v1 apply".to_owned(),
        "audit record".to_owned(),
    ];
    // The batch exporter sends every few seconds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let trace: HashMap<String, Received> = loop {
        let in_trace: HashMap<String, Received> = spans
            .lock()
            .unwrap()
            .iter()
            .filter(|span| hex(&span.trace_id) == trace_id)
            .map(|span| (span.name.clone(), span.clone()))
            .collect();
        if expected.iter().all(|name| in_trace.contains_key(name)) {
            break in_trace;
        }
        if tokio::time::Instant::now() > deadline {
            let all: Vec<String> = spans
                .lock()
                .unwrap()
                .iter()
                .map(|s| s.name.clone())
                .collect();
            panic!(
                "the trace has {:?}, not all of {expected:?}; {} spans received in all: {all:?}",
                in_trace.keys().collect::<Vec<_>>(),
                all.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    // Each span of the trace, with its parent's name, for the messages below.
    let tree: Vec<String> = {
        let names: HashMap<Vec<u8>, &str> = trace
            .values()
            .map(|span| (span.span_id.clone(), span.name.as_str()))
            .collect();
        trace
            .values()
            .map(|span| {
                let parent = names.get(&span.parent_span_id).copied().unwrap_or("-");
                format!("{} < {parent}", span.name)
            })
            .collect()
    };
    let span = |name: &str| &trace[name];
    let parent_of = |name: &str| hex(&span(name).parent_span_id);
    let id_of = |name: &str| hex(&span(name).span_id);
    let http = "POST /v1/auth/register";
    let publish = format!("{topic} publish");
    assert_eq!(
        parent_of(http),
        caller_span,
        "the request continues the caller's trace: {tree:?}"
    );
    // The command runs within the request (under the handler's own span).
    let by_id: HashMap<String, &Received> = trace.values().map(|s| (hex(&s.span_id), s)).collect();
    let mut ancestor = parent_of("command");
    while ancestor != id_of(http) {
        let Some(parent) = by_id.get(&ancestor) else {
            panic!("the command is not within the request: {tree:?}");
        };
        ancestor = hex(&parent.parent_span_id);
    }
    assert_eq!(
        parent_of(&publish),
        id_of(http),
        "the relay publishes for the request: {tree:?}"
    );
    assert_eq!(
        parent_of("users_v1 apply"),
        id_of(&publish),
        "the projection applies what was published: {tree:?}"
    );
    assert_eq!(
        parent_of("audit record"),
        id_of(&publish),
        "the trail records what was published: {tree:?}"
    );

    // Exporting spans does not get in the way of a clean stop (the last batch is flushed).
    let log = stack.log().unwrap().to_owned();
    stack.terminate();
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(!said.contains("panicked"), "{}", log.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_names_its_request_and_the_log_says_whose_it_was() {
    let mut stack = DevStack::start(&plinth_tests::env("PLINTH_KAFKA_BROKERS")).await;
    stack.wait_ready(Duration::from_secs(120)).await;

    // The caller's id is kept; without one, or with one that is not a UUID, a new one is made.
    let sent = Uuid::now_v7();
    let echoed = stack
        .http
        .get(format!("{}/healthz", stack.gateway_url))
        .header("x-request-id", sent.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], sent.to_string().as_str());
    for header in [None, Some("not-a-uuid")] {
        let mut request = stack.http.get(format!("{}/healthz", stack.gateway_url));
        if let Some(value) = header {
            request = request.header("x-request-id", value);
        }
        let answered = request.send().await.unwrap();
        let id = answered.headers()["x-request-id"].to_str().unwrap();
        assert!(Uuid::parse_str(id).is_ok(), "a new request id: {id}");
        assert_ne!(id, sent.to_string());
    }
    // A refused request names its id too.
    let refused = stack
        .http
        .get(format!("{}/v1/users/me", stack.gateway_url))
        .header("x-tenant-id", "Not A Tenant!")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.headers().contains_key("x-request-id"));

    // An authenticated request's log lines carry its id, tenant and user.
    let email = format!("logged-{}@example.org", Uuid::now_v7().simple());
    let registered: serde_json::Value = stack
        .registration(&email, "Logged")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user = registered["id"].as_str().unwrap().to_owned();
    let token = eventually("a login", Duration::from_secs(30), || {
        let http = stack.http.clone();
        let url = format!("{}/v1/auth/login", stack.gateway_url);
        let email = email.clone();
        async move {
            let answer = http
                .post(url)
                .json(&serde_json::json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .ok()?;
            if answer.status() != 200 {
                return None;
            }
            let body: serde_json::Value = answer.json().await.ok()?;
            body["access_token"].as_str().map(str::to_owned)
        }
    })
    .await;
    let request_id = Uuid::now_v7();
    let me = stack
        .http
        .get(format!("{}/v1/users/me", stack.gateway_url))
        .bearer_auth(&token)
        .header("x-request-id", request_id.to_string())
        .send()
        .await
        .unwrap();
    // Authenticated (whether the view has the user yet does not matter here).
    assert!(
        ![401, 403].contains(&me.status().as_u16()),
        "{}",
        me.status()
    );
    let log = stack.log().unwrap().to_owned();
    let line = eventually(
        "the request's access log line",
        Duration::from_secs(10),
        || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let found = text
                .lines()
                .find(|line| {
                    line.contains(&request_id.to_string())
                        && line.contains("finished processing request")
                })
                .map(str::to_owned);
            std::future::ready(found)
        },
    )
    .await;
    for field in [
        format!("request_id={request_id}"),
        "tenant=default".to_owned(),
        format!("user={user}"),
        "route=\"/v1/users/me\"".to_owned(),
    ] {
        assert!(line.contains(&field), "{field} missing from {line}");
    }
}
