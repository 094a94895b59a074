//! The process's metrics registry: [`metrics`] installs it once (the `metrics` facade's global
//! recorder, exported in the Prometheus text format) and hands out its handle, whose
//! `render()` is what `GET /metrics` answers. Components record with the `metrics` macros;
//! the families and their labels are listed in docs/operations.md.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Seconds, from half a millisecond (an authorization check) to half a minute (a request
/// timeout).
const SECONDS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0,
    30.0,
];

/// The registry, installed on first use (later calls return the same one).
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)
            .expect("the buckets are not empty");
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed (a test harness's): keep a registry of our own, so
            // `/metrics` still renders; what the macros record goes to the other recorder.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}
