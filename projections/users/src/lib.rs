//! The users read model: reducer, table and queries.
