//! The event store against a real Postgres: reading the global order, unique claims under
//! concurrency, and the command bus.

mod common;

use std::sync::Arc;

use common::{INSERT, migrated, read_all};
use futures::future::join_all;
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_domain_identity::services::{BoxFuture, HashingError, PasswordHasher, SystemClock};
use plinth_domain_identity::{
    DisplayName, Email, Password, PasswordHash, PasswordPolicy, RegisterUser, User, UserCommand,
    UserError, UserId, UserServices,
};
use plinth_infra_event_store::{CommandBus, CommandError, Cursor, read_committed_after, sqlx_pool};
use plinth_infra_postgres::Pool;
use plinth_infra_postgres::testing::TestDatabase;
use uuid::Uuid;

#[tokio::test]
async fn reading_after_a_cursor_returns_only_later_events() {
    let (_db, pool) = migrated().await;
    let client = pool.get().await.unwrap();
    for seq in 1..=3_i64 {
        client.execute(INSERT, &[&"a", &seq]).await.unwrap();
    }
    // Commits become readable once no older transaction anywhere in the cluster is running.
    wait_until_readable(&pool, 3).await;
    let first = read_committed_after(&client, Cursor::default(), 1)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].sequence, 1);
    assert_eq!(
        first[0].event_id.get_version_num(),
        7,
        "event ids are UUID v7"
    );
    let rest: Vec<i64> = read_committed_after(&client, first[0].cursor, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.sequence)
        .collect();
    assert_eq!(rest, vec![2, 3]);
}

async fn wait_until_readable(pool: &Pool, events: usize) {
    for _ in 0..200 {
        if read_all(pool, Cursor::default()).await.len() >= events {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{events} committed events never became readable");
}

struct CheapHasher;
impl PasswordHasher for CheapHasher {
    fn hash<'a>(
        &'a self,
        password: &'a Password,
    ) -> BoxFuture<'a, Result<PasswordHash, HashingError>> {
        Box::pin(async move { Ok(PasswordHash(format!("$plain${}", password.expose().len()))) })
    }
}

fn bus(db: &TestDatabase) -> Arc<CommandBus<User>> {
    let services = UserServices {
        hasher: Arc::new(CheapHasher),
        clock: Arc::new(SystemClock),
        lockout: plinth_domain_identity::LockoutPolicy::default(),
    };
    Arc::new(CommandBus::new(sqlx_pool(&db.url, 20).unwrap(), services))
}

fn register(email: &str, tenant: &str) -> (UserId, UserCommand) {
    let id = UserId::new();
    let command = UserCommand::Register(RegisterUser {
        user_id: id,
        tenant_id: TenantId::parse(tenant).unwrap(),
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse("Someone").unwrap(),
        password: PasswordPolicy::default()
            .parse("a long enough password", None)
            .unwrap(),
        administrator: false,
    });
    (id, command)
}

fn metadata(tenant: &str) -> CommandMetadata {
    CommandMetadata::new(
        TenantId::parse(tenant).unwrap(),
        Actor::Anonymous,
        Uuid::now_v7(),
    )
}

#[tokio::test]
async fn concurrent_registrations_with_one_email_commit_exactly_once() {
    let (db, _pool) = migrated().await;
    let bus = bus(&db);
    let attempts = (0..16).map(|i| {
        let bus = bus.clone();
        let email = if i % 2 == 0 {
            "Race@Example.org"
        } else {
            "race@example.org"
        };
        async move {
            let (id, command) = register(email, "default");
            bus.execute(&id.to_string(), command, &metadata("default"))
                .await
        }
    });
    let results = join_all(attempts).await;
    let committed = results.iter().filter(|r| r.is_ok()).count();
    let taken = results
        .iter()
        .filter(|r| matches!(r, Err(CommandError::UniqueClaimTaken { scope }) if scope == "identity.user.email"))
        .count();
    assert_eq!((committed, taken), (1, 15), "{results:?}");
}

#[tokio::test]
async fn the_same_email_may_register_once_in_each_tenant() {
    let (db, _pool) = migrated().await;
    let bus = bus(&db);
    for tenant in ["acme", "globex"] {
        let (id, command) = register("ada@example.org", tenant);
        let committed = bus
            .execute(&id.to_string(), command, &metadata(tenant))
            .await
            .unwrap();
        assert_eq!((committed.sequence, committed.events), (1, 1));
        assert_eq!(committed.token.aggregate_id, id.to_string());
    }
}

#[tokio::test]
async fn a_rejected_command_commits_nothing_and_says_why() {
    let (db, pool) = migrated().await;
    let bus = bus(&db);
    let (id, command) = register("ada@example.org", "default");
    bus.execute(&id.to_string(), command.clone(), &metadata("default"))
        .await
        .unwrap();
    let again = bus
        .execute(&id.to_string(), command, &metadata("default"))
        .await;
    assert!(
        matches!(
            again,
            Err(CommandError::Rejected(UserError::AlreadyRegistered))
        ),
        "{again:?}"
    );
    let stored: i64 = pool
        .get()
        .await
        .unwrap()
        .query_one("SELECT COUNT(*) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn plinth_connections_end_a_transaction_left_idle() {
    let (db, pool) = migrated().await;
    let expected = format!(
        "{}s",
        plinth_infra_postgres::IDLE_IN_TRANSACTION_TIMEOUT_MS / 1000
    );
    let shown: String = pool
        .get()
        .await
        .unwrap()
        .query_one("SHOW idle_in_transaction_session_timeout", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(shown, expected, "the read and projection pool");
    let events = sqlx_pool(&db.url, 1).unwrap();
    let shown: String = sqlx::query_scalar("SHOW idle_in_transaction_session_timeout")
        .fetch_one(&events)
        .await
        .unwrap();
    assert_eq!(shown, expected, "the event store's command pool");
}
