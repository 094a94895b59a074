//! Tracing and OpenTelemetry set-up for Plinth binaries, and W3C traceparent helpers.
