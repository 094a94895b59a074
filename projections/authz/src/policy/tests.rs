use chrono::TimeZone;
use plinth_schemas::authz::{
    AuthzEvent, RoleCreatedV1, RoleLinkV1, SubjectBoundV1, SubjectUnboundV1,
};

use super::*;

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

const ADA: Uuid = Uuid::from_u128(7);

fn role(id: u128, tenant: &str, name: &str, permissions: &[&str]) -> AuthzEvent {
    AuthzEvent::RoleCreated(RoleCreatedV1 {
        role_id: Uuid::from_u128(id),
        tenant_id: tenant.into(),
        name: name.into(),
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        at: noon(),
    })
}

fn include(role: u128, included: u128) -> AuthzEvent {
    AuthzEvent::RoleIncluded(RoleLinkV1 {
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

/// The permissions the kernel modules declare, as far as these tests name them.
const DECLARED: [&str; 5] = [
    "identity.user.read",
    "identity.user.disable",
    "authz.role.manage",
    "authz.binding.manage",
    "audit.record.read",
];

fn policy(events: &[AuthzEvent]) -> Policy {
    let mut policy = Policy::new(DECLARED);
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
        AuthzEvent::SubjectBound(bound(10, "acme", &Uuid::from_u128(1).to_string())),
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
        AuthzEvent::SubjectBound(bound(10, "acme", &Uuid::from_u128(1).to_string())),
    ]);
    assert!(!p.decide(&check("acme", "blog.post.read"), noon()).allowed);
}

#[test]
fn a_binding_in_one_tenant_grants_nothing_in_another() {
    let p = policy(&[AuthzEvent::SubjectBound(bound(10, "acme", "owner"))]);
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
        AuthzEvent::SubjectBound(bound(10, "default", "platform-admin")),
        AuthzEvent::SubjectBound(SubjectBoundV1 {
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
        AuthzEvent::SubjectBound(SubjectBoundV1 {
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
    let p = policy(&[AuthzEvent::SubjectBound(SubjectBoundV1 {
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
        AuthzEvent::SubjectBound(bound(10, "acme", &Uuid::from_u128(1).to_string())),
        AuthzEvent::SubjectBound(bound(11, "acme", "member")),
    ]);
    assert!(
        p.decide(&check("acme", "identity.user.read"), noon())
            .allowed
    );
    p.apply(&AuthzEvent::SubjectUnbound(SubjectUnboundV1 {
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

#[test]
fn roles_are_listed_per_tenant_in_pages_custom_ones_first() {
    let p = policy(&[
        role(1, "acme", "editors", &["identity.user.read"]),
        role(2, "acme", "readers", &["identity.user.read"]),
        role(3, "globex", "spies", &["identity.user.read"]),
        include(1, 2),
    ]);
    let first = p.roles("acme", None, 3);
    let ids: Vec<&str> = first.items.iter().map(|r| r.id.as_str()).collect();
    let (one, two) = (
        Uuid::from_u128(1).to_string(),
        Uuid::from_u128(2).to_string(),
    );
    assert_eq!(ids, [one.as_str(), two.as_str(), "admin"]);
    assert_eq!(first.items[0].includes, [Uuid::from_u128(2)]);
    let second = p.roles("acme", first.next.as_deref(), 3);
    let ids: Vec<&str> = second.items.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["member", "owner", "platform-admin"]);
    assert_eq!(second.next, None, "the last page has no cursor");
    assert!(p.role("globex", &one).is_none(), "another tenant's role");
    let owner = p.role("acme", "owner").unwrap();
    assert!(owner.built_in && owner.effective.contains(&"authz.role.manage".to_owned()));
    let admin = p.role("acme", "admin").unwrap();
    assert!(!admin.effective.contains(&"authz.role.manage".to_owned()));
}

#[test]
fn effective_permissions_follow_inclusions_and_skip_expired_and_foreign_bindings() {
    let p = policy(&[
        role(1, "acme", "editors", &["identity.user.disable"]),
        role(2, "acme", "readers", &["identity.user.read"]),
        include(1, 2),
        AuthzEvent::SubjectBound(bound(10, "acme", &Uuid::from_u128(1).to_string())),
        AuthzEvent::SubjectBound(SubjectBoundV1 {
            valid_until: Some(noon()),
            ..bound(11, "acme", "owner")
        }),
        AuthzEvent::SubjectBound(bound(12, "globex", "owner")),
    ]);
    let held = p.effective_permissions("acme", ADA, noon(), None, 50);
    let names: Vec<&str> = held.items.iter().map(|h| h.permission.as_str()).collect();
    assert_eq!(names, ["identity.user.disable", "identity.user.read"]);
    assert_eq!(held.items[1].bindings, [Uuid::from_u128(10)]);
    let before =
        p.effective_permissions("acme", ADA, noon() - chrono::Duration::hours(1), None, 50);
    assert!(before.items.len() > 2, "the owner binding was still valid");
    let listed = p.subject_bindings("acme", ADA, noon(), None, 50);
    let ids: Vec<Uuid> = listed.items.iter().map(|b| b.id).collect();
    assert_eq!(ids, [Uuid::from_u128(10), Uuid::from_u128(11)]);
    assert!(listed.items[0].active && !listed.items[1].active);
}

#[test]
fn reverse_lookup_finds_every_holder_in_the_tenant_only() {
    let bob = Uuid::from_u128(8);
    let eve = Uuid::from_u128(9);
    let p = policy(&[
        role(1, "acme", "readers", &["identity.user.read"]),
        AuthzEvent::SubjectBound(bound(10, "acme", &Uuid::from_u128(1).to_string())),
        AuthzEvent::SubjectBound(SubjectBoundV1 {
            subject: bob,
            scope_resource_type: Some("blog.post".into()),
            ..bound(11, "acme", "admin")
        }),
        AuthzEvent::SubjectBound(SubjectBoundV1 {
            subject: eve,
            ..bound(12, "globex", "owner")
        }),
        AuthzEvent::SubjectBound(SubjectBoundV1 {
            subject: eve,
            ..bound(13, "acme", "member")
        }),
    ]);
    let holders = p.holders("acme", "identity.user.read", noon(), None, 1);
    assert_eq!(holders.items[0].subject, ADA);
    assert!(!holders.items[0].conditional);
    let rest = p.holders(
        "acme",
        "identity.user.read",
        noon(),
        holders.next.as_deref(),
        1,
    );
    assert_eq!(rest.items[0].subject, bob);
    assert!(rest.items[0].conditional, "bob's binding is scoped");
    assert_eq!(rest.next, None, "eve holds it only in globex");
    let managers = p.holders("acme", "authz.role.manage", noon(), None, 10);
    assert!(managers.items.is_empty());
}

#[test]
fn nobody_administers_an_account_that_holds_more_than_they_do() {
    let (admin, owner, member, root) = (
        Uuid::from_u128(1),
        Uuid::from_u128(2),
        Uuid::from_u128(3),
        Uuid::from_u128(4),
    );
    let bind = |id: u128, subject: Uuid, tenant: &str, role: &str| {
        AuthzEvent::SubjectBound(SubjectBoundV1 {
            subject,
            ..bound(id, tenant, role)
        })
    };
    let policy = policy(&[
        role(50, "acme", "editors", &["identity.user.read"]),
        bind(10, admin, "acme", "admin"),
        bind(11, owner, "acme", "owner"),
        bind(12, member, "acme", &Uuid::from_u128(50).to_string()),
        bind(13, root, "default", "platform-admin"),
    ]);
    let may = |actor, target| policy.may_administer("acme", actor, target, noon());
    assert_eq!(may(admin, member), Ok(()));
    let refused = may(admin, owner).unwrap_err();
    assert!(refused.contains("authz."), "{refused}");
    assert!(
        may(owner, root)
            .unwrap_err()
            .contains("platform administrator")
    );
    assert!(may(admin, root).is_err());
    assert_eq!(may(owner, admin), Ok(()));
    assert_eq!(may(root, owner), Ok(()));
    assert!(may(member, admin).is_err());
}

#[test]
fn the_roles_of_a_subject_are_those_its_bindings_name_and_all_they_include() {
    let policy = policy(&[
        role(50, "acme", "editors", &["identity.user.read"]),
        role(51, "acme", "readers", &[]),
        role(52, "acme", "unrelated", &[]),
        include(50, 51),
        AuthzEvent::SubjectBound(bound(10, "acme", &Uuid::from_u128(50).to_string())),
        AuthzEvent::SubjectBound(bound(11, "acme", "owner")),
    ]);
    assert_eq!(
        policy.roles_of(ADA),
        vec![Uuid::from_u128(50), Uuid::from_u128(51)]
    );
    assert!(policy.roles_of(Uuid::from_u128(99)).is_empty());
}
