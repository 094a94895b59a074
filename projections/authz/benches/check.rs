//! `make bench`: permission-check latency of the authz view (what every guarded route pays)
//! with 1k, 10k and 100k bindings, next to the `casbin` crate deciding the same checks on an
//! equivalent RBAC-with-domains policy, in the same run. Prints p50/p99 and the ratio.
//!
//! The policy: 10 tenants with 20 roles each; role k grants 3 permissions and includes role
//! k+1 within chains of 5 (casbin's role manager follows at most 10 levels), so a check may
//! walk inclusions; every subject holds one role in one tenant.
//! Checks ask a random subject for a random permission in its own tenant (some allowed, most
//! after walking inclusions, some denied) — the same list for both engines.

use std::time::Instant;

use casbin::prelude::*;
use chrono::Utc;
use plinth_infra_module::Envelope;
use plinth_projections_authz::{AuthzView, CheckRequest};
use plinth_schemas::authz::{AuthzEvent, RoleCreatedV1, RoleLinkV1, SubjectBoundV1};
use uuid::Uuid;

const TENANTS: usize = 10;
const ROLES: usize = 20;
const PERMISSIONS_PER_ROLE: usize = 3;
const CHECKS: usize = 20_000;

const MODEL: &str = r"
[request_definition]
r = sub, dom, perm

[policy_definition]
p = sub, dom, perm

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.perm == p.perm
";

/// A tiny deterministic generator, so both engines get the same checks.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

fn tenant(t: usize) -> String {
    format!("tenant-{t}")
}

fn role_id(t: usize, r: usize) -> Uuid {
    Uuid::from_u128(((t as u128) << 64) | r as u128 | 1 << 120)
}

fn permission(r: usize, i: usize) -> String {
    format!("bench.resource{r}.action{i}")
}

/// Role k includes role k+1 within chains of 5.
fn includes_next(r: usize) -> bool {
    r % 5 != 4
}

fn envelope(
    aggregate_type: &str,
    id: Uuid,
    sequence: i64,
    event: AuthzEvent,
) -> Envelope<AuthzEvent> {
    Envelope {
        event_id: Uuid::now_v7(),
        aggregate_type: aggregate_type.into(),
        aggregate_id: id.to_string(),
        sequence,
        tenant_id: String::new(),
        traceparent: None,
        event,
    }
}

struct Subject {
    id: Uuid,
    tenant: usize,
    role: usize,
}

fn subjects(n: usize) -> Vec<Subject> {
    let mut rng = Lcg(n as u64);
    (0..n)
        .map(|i| Subject {
            id: Uuid::from_u128(i as u128 + 1),
            tenant: rng.below(TENANTS),
            role: rng.below(ROLES),
        })
        .collect()
}

fn plinth_view(subjects: &[Subject]) -> AuthzView {
    let view = AuthzView::default();
    let at = Utc::now();
    for t in 0..TENANTS {
        for r in 0..ROLES {
            let id = role_id(t, r);
            view.apply_event(&envelope(
                "authz.role",
                id,
                1,
                AuthzEvent::RoleCreated(RoleCreatedV1 {
                    role_id: id,
                    tenant_id: tenant(t),
                    name: format!("role-{r}"),
                    permissions: (0..PERMISSIONS_PER_ROLE)
                        .map(|i| permission(r, i))
                        .collect(),
                    at,
                }),
            ));
            if includes_next(r) {
                view.apply_event(&envelope(
                    "authz.role",
                    id,
                    2,
                    AuthzEvent::RoleIncluded(RoleLinkV1 {
                        role_id: id,
                        tenant_id: tenant(t),
                        other: role_id(t, r + 1),
                        at,
                    }),
                ));
            }
        }
    }
    for s in subjects {
        let binding = Uuid::now_v7();
        view.apply_event(&envelope(
            "authz.binding",
            binding,
            1,
            AuthzEvent::SubjectBound(SubjectBoundV1 {
                binding_id: binding,
                tenant_id: tenant(s.tenant),
                subject: s.id,
                role: role_id(s.tenant, s.role).to_string(),
                scope_resource_type: None,
                scope_resource_id: None,
                owner_only: false,
                valid_from: None,
                valid_until: None,
                at,
            }),
        ));
    }
    view
}

async fn casbin_enforcer(subjects: &[Subject]) -> Enforcer {
    let model = DefaultModel::from_str(MODEL)
        .await
        .expect("the model parses");
    let mut enforcer = Enforcer::new(model, MemoryAdapter::default())
        .await
        .expect("an enforcer");
    let mut policies = Vec::new();
    let mut groupings = Vec::new();
    for t in 0..TENANTS {
        for r in 0..ROLES {
            let role = format!("role-{r}");
            for i in 0..PERMISSIONS_PER_ROLE {
                policies.push(vec![role.clone(), tenant(t), permission(r, i)]);
            }
            if includes_next(r) {
                groupings.push(vec![role.clone(), format!("role-{}", r + 1), tenant(t)]);
            }
        }
    }
    for s in subjects {
        groupings.push(vec![
            s.id.to_string(),
            format!("role-{}", s.role),
            tenant(s.tenant),
        ]);
    }
    enforcer.add_policies(policies).await.expect("policies");
    enforcer
        .add_grouping_policies(groupings)
        .await
        .expect("role links");
    enforcer
}

/// Each check: subject index and permission (role, action) asked.
fn checks(n: usize) -> Vec<(usize, String)> {
    let mut rng = Lcg(42);
    (0..CHECKS)
        .map(|_| {
            (
                rng.below(n),
                permission(rng.below(ROLES), rng.below(PERMISSIONS_PER_ROLE)),
            )
        })
        .collect()
}

fn percentiles(mut nanos: Vec<u64>) -> (f64, f64) {
    nanos.sort_unstable();
    let at = |q: f64| nanos[((nanos.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
    (at(0.50), at(0.99))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!(
        "\nPermission check latency (µs), {CHECKS} checks, {TENANTS} tenants × {ROLES} roles in inclusion chains"
    );
    println!(
        "{:>9} | {:>12} {:>12} | {:>12} {:>12} | {:>10} {:>9}",
        "bindings", "plinth p50", "plinth p99", "casbin p50", "casbin p99", "p50 ratio", "agree"
    );
    for n in [1_000, 10_000, 100_000] {
        let subjects = subjects(n);
        let view = plinth_view(&subjects);
        let enforcer = casbin_enforcer(&subjects).await;
        let checks = checks(n);
        let now = Utc::now();
        let tenants: Vec<String> = (0..TENANTS).map(tenant).collect();

        let mut plinth = Vec::with_capacity(CHECKS);
        let mut plinth_answers = Vec::with_capacity(CHECKS);
        for (s, perm) in &checks {
            let subject = &subjects[*s];
            let started = Instant::now();
            let verdict = view.decide(
                &CheckRequest {
                    subject: subject.id,
                    tenant: &tenants[subject.tenant],
                    permission: perm,
                    resource: None,
                },
                now,
            );
            plinth.push(started.elapsed().as_nanos() as u64);
            plinth_answers.push(verdict.allowed);
        }

        let mut casbin = Vec::with_capacity(CHECKS);
        let mut agree = 0;
        for ((s, perm), plinth_allowed) in checks.iter().zip(&plinth_answers) {
            let subject = &subjects[*s];
            let id = subject.id.to_string();
            let started = Instant::now();
            let allowed = enforcer
                .enforce((id.as_str(), tenants[subject.tenant].as_str(), perm.as_str()))
                .expect("casbin decides");
            casbin.push(started.elapsed().as_nanos() as u64);
            agree += usize::from(allowed == *plinth_allowed);
        }
        let (p50, p99) = percentiles(plinth);
        let (c50, c99) = percentiles(casbin);
        println!(
            "{n:>9} | {p50:>12.2} {p99:>12.2} | {c50:>12.2} {c99:>12.2} | {:>9.1}x {:>8.1}%",
            c50 / p50,
            100.0 * agree as f64 / CHECKS as f64
        );
        let allowed = plinth_answers.iter().filter(|a| **a).count();
        assert_eq!(agree, CHECKS, "both engines must give the same answers");
        println!("{:>9}   ({allowed} of {CHECKS} allowed)", "");
    }
}
