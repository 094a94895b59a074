//! Layered configuration for Plinth: compiled-in defaults, config/*.toml, then PLINTH_* environment.
