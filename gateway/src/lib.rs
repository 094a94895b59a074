//! Plinth's HTTP gateway (axum).
