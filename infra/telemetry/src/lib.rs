//! Telemetry for Plinth binaries: [`init`] installs a `tracing` subscriber (text or JSON logs)
//! bridged to OpenTelemetry, exporting spans over OTLP/HTTP when an endpoint is configured, and
//! returns a [`Guard`] that flushes on drop. [`current_traceparent`] and [`attach_traceparent`]
//! carry the W3C `traceparent` through Kafka headers, so one trace runs from the HTTP request
//! through the relay to the projector. [`metrics`] is the process's Prometheus registry;
//! `filter.rs` is the one filter deciding what is logged and traced.

mod filter;
mod metrics;

pub use metrics::metrics;

use std::collections::HashMap;
use std::io::IsTerminal;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use plinth_infra_config::TelemetrySettings;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid log filter {filter:?}: {message}")]
    Filter { filter: String, message: String },
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(String),
    #[error("a global tracing subscriber is already installed")]
    AlreadyInstalled,
}

/// Flushes and shuts the tracer provider down when dropped.
#[must_use = "dropping the guard stops span export"]
pub struct Guard {
    provider: SdkTracerProvider,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.provider.force_flush();
        let _ = self.provider.shutdown();
    }
}

/// Installs the global subscriber and the metrics registry. `RUST_LOG`, when set, wins over
/// `settings.log_filter`.
pub fn init(settings: &TelemetrySettings) -> Result<Guard, Error> {
    metrics();
    let filter_text = std::env::var("RUST_LOG").unwrap_or_else(|_| settings.log_filter.clone());
    let filter = EnvFilter::try_new(&filter_text).map_err(|e| Error::Filter {
        filter: filter_text.clone(),
        message: e.to_string(),
    })?;

    let mut builder = SdkTracerProvider::builder().with_resource(
        opentelemetry_sdk::Resource::builder()
            .with_service_name(settings.service_name.clone())
            .build(),
    );
    if let Some(endpoint) = &settings.otlp_endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(endpoint)
            .build()
            .map_err(|e| Error::Exporter(e.to_string()))?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    let tracer = provider.tracer("plinth");
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

    let fmt = if settings.log_format == "json" {
        tracing_subscriber::fmt::layer()
            .json()
            .with_target(true)
            .boxed()
    } else {
        // Colours only on a terminal: a log file gets plain text.
        tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_ansi(std::io::stdout().is_terminal())
            .boxed()
    };
    // The log filter decides what is logged; spans reach OpenTelemetry whatever is logged, so
    // the trace context still flows from HTTP through Kafka when logging is quiet. One global
    // filter, never per-layer ones: see filter.rs.
    tracing_subscriber::registry()
        .with(filter::LogsAndSpans::new(filter))
        .with(fmt)
        .with(tracing_opentelemetry::layer().with_tracer(tracer))
        .try_init()
        .map_err(|_| Error::AlreadyInstalled)?;
    Ok(Guard { provider })
}

/// The W3C `traceparent` of the current span, if it belongs to a sampled trace.
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove("traceparent")
}

/// Makes `span` a child of the remote span named by `traceparent` (from a Kafka header or an
/// HTTP request). Invalid values are ignored: tracing must never fail a request.
pub fn attach_traceparent(span: &tracing::Span, traceparent: &str) {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let context = TraceContextPropagator::new().extract(&carrier);
    let _ = span.set_parent(context);
}
