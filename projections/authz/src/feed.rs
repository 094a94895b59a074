//! Feeds an [`AuthzView`] from Kafka. Every process holds the whole view, so the feeder follows
//! every partition of the authz topics from the beginning
//! ([`plinth_projections_runtime::follow`]).

use std::sync::Arc;

use plinth_infra_config::Settings;
use tokio_util::sync::CancellationToken;

use crate::AuthzView;

/// The aggregate types whose topics feed the view.
pub const AGGREGATE_TYPES: [&str; 2] = ["authz.role", "authz.binding"];

/// Applies the authz topics to `view` until `shutdown`. Waits (retrying) for the broker and
/// the registry rather than failing: until then, the view denies what it does not know.
pub async fn feed(
    view: Arc<AuthzView>,
    settings: Settings,
    shutdown: CancellationToken,
) -> Result<(), plinth_projections_runtime::Error> {
    plinth_projections_runtime::follow(&settings, &AGGREGATE_TYPES, shutdown, |delivery| {
        view.apply(&delivery);
    })
    .await
}
