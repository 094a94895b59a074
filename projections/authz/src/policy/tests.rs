use chrono::TimeZone;
use plinth_schemas::authz::{RoleCreatedV1, RoleLinkV1, SubjectBoundV1, SubjectUnboundV1};

use super::*;

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

const ADA: Uuid = Uuid::from_u128(7);

fn role(id: u128, tenant: &str, name: &str, permissions: &[&str]) -> PublishedEvent {
    PublishedEvent::RoleCreated(RoleCreatedV1 {
        role_id: Uuid::from_u128(id),
        tenant_id: tenant.into(),
        name: name.into(),
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        at: noon(),
    })
}

fn include(role: u128, included: u128) -> PublishedEvent {
    PublishedEvent::RoleIncluded(RoleLinkV1 {
        role_id: Uuid::from_u128(role),
        tenant_id: "acme".into(),
        other: Uuid::from_u128(included),
        at: noon(),
    })
}

fn bound(id: u128, tenant: &str, role: &str) -> SubjectBoundV1 {
    SubjectBoundV1 {
        binding_id: Uuid::from_u128(id),
        tenant_id: tenant.into(),
        subject: ADA,
        role: role.into(),
        scope_resource_type: None,
        scope_resource_id: None,
        owner_only: false,
        valid_from: None,
        valid_until: None,
        at: noon(),
    }
}

fn policy(events: &[PublishedEvent]) -> Policy {
    let mut policy = Policy::default();
    for event in events {
        policy.apply(event);
    }
    policy
}

fn check<'a>(tenant: &'a str, permission: &'a str) -> CheckRequest<'a> {
    CheckRequest {
        subject: ADA,
        tenant,
        permission,
        resource: None,
    }
}

#[test]
fn a_role_grants_what_the_roles_it_includes_grant() {
    let p = policy(&[
        role(1, "acme", "editors", &["blog.post.edit"]),
        role(2, "acme", "readers", &["blog.post.read"]),
        role(3, "acme", "auditors", &["audit.record.read"]),
        include(1, 2),
        include(2, 3),
        PublishedEvent::SubjectBound(bound(10, "acme", &Uuid::from_u128(1).to_string())),
    ]);
    let verdict = p.decide(&check("acme", "audit.record.read"), noon());
    assert!(verdict.allowed, "{verdict:?}");
    assert!(
        verdict.reason.contains("editors (through auditors)"),
        "{verdict:?}"
    );
    assert!(!p.decide(&check("acme", "blog.post.delete"), noon()).allowed);
}

#[test]
fn a_cycle_that_slipped_into_the_view_does_not_loop() {
    let p = policy(&[
        role(1, "acme", "a", &[]),
        role(2, "acme", "b", &[]),
        include(1, 2),
        include(2, 1),
        PublishedEvent::SubjectBound(bound(10, "acme", &Uuid::from_u128(1).to_string())),
    ]);
    assert!(!p.decide(&check("acme", "blog.post.read"), noon()).allowed);
}

#[test]
fn a_binding_in_one_tenant_grants_nothing_in_another() {
    let p = policy(&[PublishedEvent::SubjectBound(bound(10, "acme", "owner"))]);
    assert!(
        p.decide(&check("acme", "identity.user.disable"), noon())
            .allowed
    );
    let elsewhere = p.decide(&check("globex", "identity.user.disable"), noon());
    assert!(!elsewhere.allowed);
    assert!(
        elsewhere.reason.contains("in tenant globex"),
        "{elsewhere:?}"
    );
}

#[test]
fn platform_admin_holds_everything_everywhere_and_admin_cannot_manage_access() {
    let p = policy(&[
        PublishedEvent::SubjectBound(bound(10, "default", "platform-admin")),
        PublishedEvent::SubjectBound(SubjectBoundV1 {
            subject: Uuid::from_u128(8),
            ..bound(11, "acme", "admin")
        }),
    ]);
    assert!(
        p.decide(&check("globex", "authz.role.manage"), noon())
            .allowed
    );
    let admin = |permission| CheckRequest {
        subject: Uuid::from_u128(8),
        ..check("acme", permission)
    };
    assert!(p.decide(&admin("identity.user.disable"), noon()).allowed);
    assert!(!p.decide(&admin("authz.binding.manage"), noon()).allowed);
}

#[test]
fn an_owner_only_binding_covers_the_subjects_own_resources() {
    let editors = role(1, "acme", "authors", &["blog.post.edit"]);
    let p = policy(&[
        editors,
        PublishedEvent::SubjectBound(SubjectBoundV1 {
            scope_resource_type: Some("blog.post".into()),
            owner_only: true,
            ..bound(10, "acme", &Uuid::from_u128(1).to_string())
        }),
    ]);
    let post = |owner| CheckRequest {
        resource: Some(Resource {
            resource_type: "blog.post",
            id: "42",
            owner: Some(owner),
        }),
        ..check("acme", "blog.post.edit")
    };
    assert!(p.decide(&post(ADA), noon()).allowed);
    assert!(!p.decide(&post(Uuid::from_u128(9)), noon()).allowed);
    assert!(
        !p.decide(&check("acme", "blog.post.edit"), noon()).allowed,
        "no resource, no ownership"
    );
}

#[test]
fn a_time_bounded_binding_works_only_inside_its_period() {
    let p = policy(&[PublishedEvent::SubjectBound(SubjectBoundV1 {
        valid_from: Some(noon()),
        valid_until: Some(noon() + chrono::Duration::hours(1)),
        ..bound(10, "acme", "owner")
    })]);
    let at = |minutes| noon() + chrono::Duration::minutes(minutes);
    assert!(
        !p.decide(&check("acme", "identity.user.read"), at(-1))
            .allowed
    );
    assert!(
        p.decide(&check("acme", "identity.user.read"), at(0))
            .allowed
    );
    let late = p.decide(&check("acme", "identity.user.read"), at(60));
    assert!(!late.allowed);
    assert!(
        late.reason.contains("outside its validity period"),
        "{late:?}"
    );
}

#[test]
fn unbinding_and_deleting_a_role_take_access_away() {
    let mut p = policy(&[
        role(1, "acme", "readers", &["identity.user.read"]),
        PublishedEvent::SubjectBound(bound(10, "acme", &Uuid::from_u128(1).to_string())),
        PublishedEvent::SubjectBound(bound(11, "acme", "member")),
    ]);
    assert!(
        p.decide(&check("acme", "identity.user.read"), noon())
            .allowed
    );
    p.apply(&PublishedEvent::SubjectUnbound(SubjectUnboundV1 {
        binding_id: Uuid::from_u128(10),
        tenant_id: "acme".into(),
        subject: ADA,
        at: noon(),
    }));
    assert!(
        !p.decide(&check("acme", "identity.user.read"), noon())
            .allowed
    );
    assert_eq!(p.bindings(), 1);
}
