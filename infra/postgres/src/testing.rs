//! A fresh, uniquely named database per test on the cluster named by `PLINTH_DATABASE_URL`
//! (which `make test` starts and exports).

use rand::Rng;
use tokio_postgres::NoTls;

/// A database created for one test. It is left behind when the test ends; the test stack drops
/// every `plinth_test_*` database when it starts.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    /// Creates an empty database with a random name.
    ///
    /// # Panics
    /// When `PLINTH_DATABASE_URL` is missing or the cluster is unreachable: tests need the stack
    /// that `make test` starts.
    pub async fn create() -> Self {
        let admin_url = std::env::var("PLINTH_DATABASE_URL").expect(
            "PLINTH_DATABASE_URL is not set: run the tests with `make test`, which starts Postgres",
        );
        let suffix: u64 = rand::thread_rng().r#gen();
        let name = format!("plinth_test_{suffix:016x}");
        let (client, connection) = tokio_postgres::connect(&admin_url, NoTls)
            .await
            .expect("cannot connect to the test Postgres cluster");
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("cannot create a test database");
        drop(client);
        let _ = driver.await;
        Self {
            url: url_with_database(&admin_url, &name),
            name,
        }
    }
}

/// Replaces the database part of a `postgres://` URL.
pub fn url_with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::url_with_database;

    #[test]
    fn the_database_part_of_a_url_is_replaced_and_the_query_kept() {
        assert_eq!(
            url_with_database("postgres://u@h:5/postgres?sslmode=disable", "t1"),
            "postgres://u@h:5/t1?sslmode=disable"
        );
        assert_eq!(
            url_with_database("postgres://u@h:5", "t2"),
            "postgres://u@h:5/t2"
        );
    }
}
