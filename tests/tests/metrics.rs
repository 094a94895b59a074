//! `/metrics` as Prometheus scrapes it, from every process: the gateway (in-process here, with
//! the users projector and the authz view) and `plinth serve relay` and `plinth serve audit`
//! processes, each on its own `telemetry.listen`. Traffic through the gateway moves
//! every family docs/operations.md lists: requests by route and status, the argon2 queue,
//! the relay's publishing and backlog, the projection's progress and lag, consistency-token
//! waits on both kinds of view, the authz view, and the audit trail's time without a
//! checkpoint (which grows, then falls to 0 once a checkpoint covers the trail).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use plinth_tests::{World, eventually, free_addr};
use serde_json::json;

/// A sample's labels, as (name, value).
type Labels = Vec<(String, String)>;

/// One scrape: every sample, as (name, labels, value).
struct Scrape(Vec<(String, Labels, f64)>);

impl Scrape {
    /// Parses the Prometheus text format (comments skipped).
    fn parse(text: &str) -> Self {
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
                let (name, labels) = match series.split_once('{') {
                    Some((name, rest)) => (name, labels(rest.strip_suffix('}').unwrap())),
                    None => (series, Vec::new()),
                };
                (name.to_owned(), labels, value.parse().expect("a number"))
            })
            .collect();
        Self(samples)
    }

    /// The sum of the samples named `name` carrying every label of `having`; `None` when there
    /// are none.
    fn sum(&self, name: &str, having: &[(&str, &str)]) -> Option<f64> {
        let mut matching = self
            .0
            .iter()
            .filter(|(n, labels, _)| {
                n == name
                    && having
                        .iter()
                        .all(|(k, v)| labels.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|(_, _, value)| *value)
            .peekable();
        matching.peek()?;
        Some(matching.sum())
    }

    fn value(&self, name: &str, having: &[(&str, &str)]) -> f64 {
        self.sum(name, having).unwrap_or(0.0)
    }

    /// The families of Plinth's own samples.
    fn families(&self) -> impl Iterator<Item = String> + '_ {
        self.0
            .iter()
            .filter(|(name, _, _)| name.starts_with("plinth_"))
            .map(|(name, _, _)| family(name).to_owned())
    }

    /// A counter's total (0 when absent).
    fn count(&self, name: &str, having: &[(&str, &str)]) -> u64 {
        self.value(name, having) as u64
    }
}

/// `a="x",b="y\"z"` as pairs (values unescaped).
fn labels(text: &str) -> Labels {
    let mut pairs = Vec::new();
    let mut rest = text;
    while let Some((key, after)) = rest.split_once("=\"") {
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("a label value ends") {
                (_, '\\') => value.push(chars.next().expect("an escaped character").1),
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        pairs.push((key.trim_start_matches(',').to_owned(), value));
        rest = &after[end + 1..];
    }
    pairs
}

async fn scrape(http: &reqwest::Client, base: &str) -> Option<Scrape> {
    let response = http.get(format!("{base}/metrics")).send().await.ok()?;
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    Some(Scrape::parse(&response.text().await.ok()?))
}

/// Scrapes `base` until `check` holds for a scrape.
async fn scraped_until(
    http: &reqwest::Client,
    base: &str,
    what: &str,
    check: impl Fn(&Scrape) -> bool,
) -> Scrape {
    eventually(what, Duration::from_secs(60), || async {
        let scraped = scrape(http, base).await?;
        check(&scraped).then_some(scraped)
    })
    .await
}

#[test]
fn labels_parse_with_escapes_and_braces() {
    let scraped = Scrape::parse(
        "# HELP x y\nx_total{route=\"/v1/users/{id}\",status=\"200\"} 3\nx_total{route=\"a\\\"b\",status=\"500\"} 1\nup 1\n",
    );
    assert_eq!(
        scraped.sum("x_total", &[("route", "/v1/users/{id}")]),
        Some(3.0)
    );
    assert_eq!(scraped.sum("x_total", &[("route", "a\"b")]), Some(1.0));
    assert_eq!(scraped.sum("x_total", &[]), Some(4.0));
    assert_eq!(scraped.sum("up", &[]), Some(1.0));
    assert_eq!(scraped.sum("x_total", &[("status", "404")]), None);
}

#[tokio::test]
async fn every_process_answers_its_metrics_and_they_move_with_traffic() {
    let world = World::start().await;
    let (relay_at, audit_at): (SocketAddr, SocketAddr) = (free_addr(), free_addr());
    let _relay = world.spawn_serve("relay", "relay-metrics", "info", |s| {
        s.telemetry.listen = Some(relay_at);
    });
    let _audit = world.spawn_serve("audit", "audit-metrics", "info", |s| {
        s.telemetry.listen = Some(audit_at);
        s.audit.checkpoint_every_records = 1000;
        s.audit.checkpoint_interval_secs = 4;
    });
    let (gateway, relay, audit) = (
        world.gateway_url.clone(),
        format!("http://{relay_at}"),
        format!("http://{audit_at}"),
    );
    let http = &world.http;
    let before = scrape(http, &gateway).await.expect("the gateway answers");

    // Sign-ins and registrations hash; reads carrying tokens wait for their views.
    let admin = world.bootstrap_admin("root@example.org").await;
    let registration: serde_json::Value = world
        .register("ada@example.org", "Ada")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(world.read_registered(&registration).await.status(), 200);
    let (status, role, token) = world
        .send(
            reqwest::Method::POST,
            "/v1/authz/roles",
            &admin,
            None,
            Some(json!({"name": "editors", "permissions": ["identity.user.read"]})),
        )
        .await;
    assert_eq!(status, 201, "{role}");
    let read = http
        .get(format!(
            "{gateway}/v1/authz/roles/{}",
            role["id"].as_str().unwrap()
        ))
        .header("Authorization", &admin)
        .header(
            "Consistency-Token",
            token.expect("a write answers its token"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let anonymous = http
        .get(format!("{gateway}/v1/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let users = [("projection", "users_v1")];
    let after = scraped_until(http, &gateway, "the gateway's families to move", |now| {
        now.value("plinth_projection_applied_events_total", &users)
            > before.value("plinth_projection_applied_events_total", &users)
            && now.sum("plinth_projection_lag_messages", &users) == Some(0.0)
    })
    .await;
    let register = [("route", "/v1/auth/register"), ("method", "POST")];
    let created = [register[0], register[1], ("status", "201")];
    assert_eq!(
        after.count("plinth_http_requests_total", &created),
        before.count("plinth_http_requests_total", &created) + 1
    );
    assert!(
        after.value(
            "plinth_http_requests_total",
            &[("route", "/v1/users"), ("status", "401")]
        ) >= 1.0
    );
    assert!(
        after.value("plinth_http_request_duration_seconds_count", &register)
            > before.value("plinth_http_request_duration_seconds_count", &register)
    );
    assert!(
        after.value("plinth_http_request_duration_seconds_sum", &register) > 0.0,
        "a registration takes time"
    );
    // The admin's sign-in and Ada's registration each waited for a place to hash in.
    assert!(
        after.value("plinth_argon2_wait_seconds_count", &[])
            >= before.value("plinth_argon2_wait_seconds_count", &[]) + 2.0
    );
    assert!(after.sum("plinth_argon2_queue_depth", &[]).is_some());
    assert!(
        after
            .sum("plinth_projection_last_event_age_seconds", &users)
            .is_some()
    );
    for view in ["users_v1", "authz"] {
        assert!(
            after.value(
                "plinth_consistency_wait_seconds_count",
                &[("view", view), ("outcome", "caught_up")]
            ) >= 1.0,
            "a read of the {view} view waited for its token"
        );
    }
    assert!(
        after.value("plinth_authz_view_events_applied_total", &[])
            > before.value("plinth_authz_view_events_applied_total", &[])
    );

    // The relay process: what it published, how long that took, and its backlog (none left).
    let relayed = scraped_until(http, &relay, "the relay's families", |now| {
        now.value("plinth_relay_published_events_total", &[]) >= 1.0
            && now.sum("plinth_relay_lag_events", &[]) == Some(0.0)
    })
    .await;
    assert!(relayed.value("plinth_relay_publish_seconds_count", &[]) >= 1.0);
    assert_eq!(relayed.sum("plinth_relay_lag_seconds", &[]), Some(0.0));
    assert_eq!(
        relayed.sum("plinth_relay_leader", &[]),
        Some(1.0),
        "the only relay leads"
    );
    // Its listener answers the probes too, as the gateway's do.
    for (path, says) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let answer = http.get(format!("{relay}{path}")).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["status"], says, "{path}: {body}");
    }
    assert!(
        relayed.sum("plinth_http_requests_total", &[]).is_none(),
        "the relay's own registry, not the gateway's"
    );

    // The audit process: the trail waits for its checkpoint, then one covers it.
    let tenant = [("tenant", "default")];
    scraped_until(http, &audit, "the trail uncovered for a while", |now| {
        now.value("plinth_audit_seconds_since_checkpoint", &tenant) >= 1.0
            && now.value("plinth_audit_records_uncovered", &tenant) >= 1.0
    })
    .await;
    let audited = scraped_until(http, &audit, "a checkpoint covering the trail", |now| {
        now.sum("plinth_audit_seconds_since_checkpoint", &tenant) == Some(0.0)
            && now.sum("plinth_audit_records_uncovered", &tenant) == Some(0.0)
    })
    .await;

    // The operator's guide lists exactly what the processes expose; the dashboard plots only that.
    let exposed: BTreeSet<String> = [&after, &relayed, &audited]
        .iter()
        .flat_map(|scraped| scraped.families())
        .collect();
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/operations.md"
    ))
    .unwrap();
    let documented: BTreeSet<String> = guide
        .lines()
        .filter_map(|line| line.strip_prefix("| `plinth_"))
        .map(|rest| format!("plinth_{}", rest.split('`').next().unwrap()))
        .collect();
    assert_eq!(
        documented, exposed,
        "docs/operations.md's table against the scrapes"
    );
    let dashboard = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/grafana/plinth.json"
    ))
    .unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    let plotted: BTreeSet<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .flat_map(|target| names_in(target["expr"].as_str().unwrap()))
        .collect();
    assert_eq!(
        plotted, exposed,
        "the Grafana dashboard plots every family, and only those"
    );
}

/// The metric families an expression names.
fn names_in(expr: &str) -> Vec<String> {
    expr.match_indices("plinth_")
        .map(|(at, _)| {
            let name: String = expr[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            family(&name).to_owned()
        })
        .collect()
}

/// A sample's family: a histogram's samples are named after it with a suffix.
fn family(sample: &str) -> &str {
    ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|suffix| sample.strip_suffix(suffix))
        .unwrap_or(sample)
}
