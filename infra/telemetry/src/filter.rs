//! The one filter of the subscriber: what the log filter enables, and every span at `INFO` or
//! above whatever the log filter says, so traces stay whole when logging is quiet.
//!
//! It is a global filter on purpose. Per-layer filters (`Layer::with_filter`) keep each layer's
//! decision in a thread-local between `enabled` and the span's creation, and a `log` crate
//! `log_enabled!` query (sqlx asks one after every statement) leaves a stale decision there:
//! the next span is then silently missing from the filtered layers, so log lines lost their
//! request's fields and traces lost spans (tokio-rs/tracing#2519).

use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The log filter, widened to keep the spans traces need.
pub(crate) struct LogsAndSpans {
    logs: EnvFilter,
}

impl LogsAndSpans {
    pub(crate) fn new(logs: EnvFilter) -> Self {
        Self { logs }
    }
}

/// A span that is traced whatever is logged.
fn traced(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && *metadata.level() <= Level::INFO
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for LogsAndSpans {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if traced(metadata) {
            // The log filter still sees the callsite (it keeps per-callsite state).
            let _ = Layer::<S>::register_callsite(&self.logs, metadata);
            Interest::always()
        } else {
            Layer::<S>::register_callsite(&self.logs, metadata)
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        traced(metadata) || Layer::<S>::enabled(&self.logs, metadata, ctx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Layer::<S>::max_level_hint(&self.logs).map(|logs| logs.max(LevelFilter::INFO))
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        self.logs.on_new_span(attrs, id, ctx);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        self.logs.on_record(id, values, ctx);
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        self.logs.on_enter(id, ctx);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        self.logs.on_exit(id, ctx);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        self.logs.on_close(id, ctx);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// An event's message and the span it was logged in (by name), if any.
    type Line = (String, Option<String>);

    /// Records the span each event was logged in, as the log layer would print it.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<Line>>>);

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Seen {
        fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
            let span = ctx.event_span(event).map(|span| span.name().to_owned());
            let mut message = String::new();
            event.record(
                &mut |field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
                    if field.name() == "message" {
                        message = format!("{value:?}");
                    }
                },
            );
            self.0.lock().unwrap().push((message, span));
        }
    }

    fn subscriber(filter: &str, seen: &Seen) -> impl Subscriber + Send + Sync {
        tracing_subscriber::registry()
            .with(seen.clone())
            .with(LogsAndSpans::new(EnvFilter::try_new(filter).unwrap()))
    }

    #[test]
    fn events_follow_the_log_filter_and_info_spans_are_kept_when_logging_is_quiet() {
        let seen = Seen::default();
        tracing::subscriber::with_default(subscriber("warn", &seen), || {
            let span = tracing::info_span!("http");
            assert!(!span.is_disabled(), "an INFO span is kept for traces");
            assert!(tracing::debug_span!("detail").is_disabled());
            let _entered = span.enter();
            tracing::info!("quiet");
            tracing::warn!("loud");
        });
        assert_eq!(
            *seen.0.lock().unwrap(),
            [("loud".to_owned(), Some("http".to_owned()))]
        );
    }

    #[test]
    fn a_log_crate_enabled_query_does_not_lose_the_next_span() {
        let seen = Seen::default();
        tracing::subscriber::with_default(subscriber("info,quiet_target=warn", &seen), || {
            for _ in 0..3 {
                // What sqlx does after each statement: asks whether DEBUG is enabled, logs nothing.
                let disabled = tracing::Metadata::new(
                    "log event",
                    "quiet_target",
                    Level::DEBUG,
                    None,
                    None,
                    None,
                    tracing::field::FieldSet::new(&[], tracing::callsite::Identifier(&CALLSITE)),
                    tracing::metadata::Kind::EVENT,
                );
                tracing::dispatcher::get_default(|d| d.enabled(&disabled));
                let span = tracing::info_span!("http");
                let _entered = span.enter();
                tracing::info!("answered");
            }
        });
        let seen = seen.0.lock().unwrap();
        assert_eq!(seen.len(), 3);
        assert!(
            seen.iter().all(|(_, span)| span.as_deref() == Some("http")),
            "{seen:?}"
        );
    }

    struct Callsite;
    static CALLSITE: Callsite = Callsite;
    impl tracing::callsite::Callsite for Callsite {
        fn set_interest(&self, _: Interest) {}
        fn metadata(&self) -> &Metadata<'_> {
            unreachable!("only its identity is used")
        }
    }
}
