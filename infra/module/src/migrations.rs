/// One numbered migration: a SQL script applied once, in a transaction.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The ordered migrations of one component (event store, relay, a module's tables …).
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    pub component: &'static str,
    pub steps: &'static [Migration],
}
