//! The identity service: command handling for users.
