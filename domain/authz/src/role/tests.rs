use std::sync::Arc;

use chrono::TimeZone;
use cqrs_es::test::TestFramework;
use plinth_domain_permissions::Permission;

/// Permissions as the identity module's manifest declares them.
mod identity {
    use super::Permission;
    pub(super) const USER_READ: Permission = Permission::declared("identity.user.read", false);
    pub(super) const USER_DISABLE: Permission = Permission::declared("identity.user.disable", true);
}

use super::*;

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

fn framework() -> TestFramework<Role> {
    TestFramework::with(AuthzServices {
        clock: Arc::new(noon),
    })
}

fn editors() -> RoleEvent {
    RoleEvent::RoleCreated(RoleCreated {
        role_id: Uuid::from_u128(1),
        tenant_id: TenantId::default(),
        name: RoleName::parse("editors").unwrap(),
        permissions: vec!["identity.user.read".into()],
        at: noon(),
    })
}

#[tokio::test]
async fn a_role_is_created_with_its_permissions_and_its_name_claimed_in_the_tenant() {
    framework()
        .given_no_previous_events()
        .when_async(RoleCommand::Create(CreateRole {
            role_id: Uuid::from_u128(1),
            tenant_id: TenantId::default(),
            name: RoleName::parse("editors").unwrap(),
            permissions: BTreeSet::from([identity::USER_READ]),
        }))
        .await
        .then_expect_events(vec![editors()]);
    let claims = editors().unique_claims();
    assert_eq!(claims[0].key, "default/editors");
}

#[tokio::test]
async fn granting_records_only_what_the_role_lacked() {
    framework()
        .given(vec![editors()])
        .when_async(RoleCommand::Grant(BTreeSet::from([
            identity::USER_READ,
            identity::USER_DISABLE,
        ])))
        .await
        .then_expect_events(vec![RoleEvent::RolePermissionsGranted(
            RolePermissionsGranted {
                role_id: Uuid::from_u128(1),
                tenant_id: TenantId::default(),
                permissions: vec!["identity.user.disable".into()],
                at: noon(),
            },
        )]);
    framework()
        .given(vec![editors()])
        .when_async(RoleCommand::Grant(BTreeSet::from([identity::USER_READ])))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn including_a_role_that_reaches_back_is_a_cycle() {
    let include = |role: u128, reachable: &[u128]| {
        RoleCommand::Include(IncludeRole {
            role: Uuid::from_u128(role),
            reachable: reachable.iter().map(|r| Uuid::from_u128(*r)).collect(),
        })
    };
    framework()
        .given(vec![editors()])
        .when_async(include(1, &[]))
        .await
        .then_expect_error(RoleError::Cycle(Uuid::from_u128(1)));
    framework()
        .given(vec![editors()])
        .when_async(include(2, &[3, 1]))
        .await
        .then_expect_error(RoleError::Cycle(Uuid::from_u128(2)));
    framework()
        .given(vec![editors()])
        .when_async(include(2, &[3]))
        .await
        .then_expect_events(vec![RoleEvent::RoleIncluded(RoleIncluded {
            role_id: Uuid::from_u128(1),
            tenant_id: TenantId::default(),
            included: Uuid::from_u128(2),
            at: noon(),
        })]);
}

#[tokio::test]
async fn a_deleted_role_takes_no_commands_and_is_never_created_again() {
    let deleted = RoleEvent::RoleDeleted(RoleDeleted {
        role_id: Uuid::from_u128(1),
        tenant_id: TenantId::default(),
        name: Some(RoleName::parse("editors").unwrap()),
        at: noon(),
    });
    framework()
        .given(vec![editors(), deleted.clone()])
        .when_async(RoleCommand::Grant(BTreeSet::from([identity::USER_READ])))
        .await
        .then_expect_error(RoleError::NotFound);
    framework()
        .given(vec![editors(), deleted])
        .when_async(RoleCommand::Create(CreateRole {
            role_id: Uuid::from_u128(1),
            tenant_id: TenantId::default(),
            name: RoleName::parse("editors").unwrap(),
            permissions: BTreeSet::new(),
        }))
        .await
        .then_expect_error(RoleError::AlreadyExists);
}

#[tokio::test]
async fn renaming_claims_the_new_name_and_releases_the_old_one() {
    let renamed = RoleEvent::RoleRenamed(RoleRenamed {
        role_id: Uuid::from_u128(1),
        tenant_id: TenantId::default(),
        name: RoleName::parse("writers").unwrap(),
        previous: Some(RoleName::parse("editors").unwrap()),
        at: noon(),
    });
    framework()
        .given(vec![editors()])
        .when_async(RoleCommand::Rename(RoleName::parse("writers").unwrap()))
        .await
        .then_expect_events(vec![renamed.clone()]);
    assert_eq!(renamed.unique_claims()[0].key, "default/writers");
    assert_eq!(renamed.released_claims()[0].key, "default/editors");
    framework()
        .given(vec![editors()])
        .when_async(RoleCommand::Delete)
        .await
        .then_expect_events(vec![RoleEvent::RoleDeleted(RoleDeleted {
            role_id: Uuid::from_u128(1),
            tenant_id: TenantId::default(),
            name: Some(RoleName::parse("editors").unwrap()),
            at: noon(),
        })]);
}
