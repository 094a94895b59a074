//! Integration tests of the schema registry: each test serves the router on a local socket
//! against its own freshly migrated database (the cluster named by `PLINTH_DATABASE_URL`, which
//! `make test` starts) and drives it over HTTP, with reqwest and with real Confluent clients.

mod access;
mod api;
mod clients;
mod compatibility;
mod deletes;
mod python;
mod support;
