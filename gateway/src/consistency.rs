//! The consistency-token protocol, in one place: a token is honoured only when it names a
//! write committed in the caller's tenant ([`committed`]); a read then waits, bounded, for its
//! read model ([`wait_for_view`]) or for the authz view ([`wait_for_write`]). Handlers take the
//! token with `plinth_infra_edge::Consistency` and answer writes with `plinth_infra_edge::Written`.

use plinth_domain_core::{ConsistencyToken, TenantId};
use plinth_infra_edge::{ApiError, Freshness};
use plinth_projections_authz::AGGREGATE_TYPES;

use crate::AppState;

/// `token` if it names a write committed in `tenant`. Any other token (made up, of another
/// tenant, or ahead of the store) is refused at once, the same way whatever it names: it could
/// never be waited out, and waiting would tell its sender how far another tenant's aggregates
/// have got.
pub(crate) async fn committed<'t>(
    state: &AppState,
    token: &'t ConsistencyToken,
    tenant: &str,
) -> Result<&'t ConsistencyToken, ApiError> {
    let client = state
        .read_pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    if plinth_infra_event_store::names_committed_write(&client, token, tenant)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?
    {
        Ok(token)
    } else {
        Err(ApiError::BadHeader(
            "Consistency-Token names no write committed in this tenant".into(),
        ))
    }
}

/// Waits (bounded) until `view` has applied the write named by `token`.
pub(crate) async fn wait_for_view(
    state: &AppState,
    view: &str,
    token: &ConsistencyToken,
) -> Result<(), ApiError> {
    let caught_up = plinth_projections_runtime::wait_for(
        &state.read_pool,
        view,
        &token.aggregate_type,
        &token.aggregate_id,
        token.sequence,
        state.consistency_wait,
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    if caught_up {
        Ok(())
    } else {
        Err(ApiError::NotYetConsistent)
    }
}

/// The authz write (a role or a binding) `token` names, checked as [`committed`]; a token of
/// another view is a bad header.
pub(crate) async fn authz_token<'t>(
    state: &AppState,
    token: Option<&'t ConsistencyToken>,
    tenant: &TenantId,
) -> Result<Option<&'t ConsistencyToken>, ApiError> {
    let Some(token) = token else {
        return Ok(None);
    };
    if !AGGREGATE_TYPES.contains(&token.aggregate_type.as_str()) {
        return Err(ApiError::BadHeader(
            "Consistency-Token must name an authz write (a role or a binding)".into(),
        ));
    }
    committed(state, token, tenant.as_str()).await.map(Some)
}

/// Waits (bounded) until the authz view has applied `token`.
pub(crate) async fn wait_for_write(
    state: &AppState,
    token: &ConsistencyToken,
) -> Result<(), ApiError> {
    if state
        .authorizer
        .wait_for(token, state.consistency_wait)
        .await
    {
        Ok(())
    } else {
        Err(ApiError::NotYetConsistent)
    }
}

/// Waits for the authz write `token` names, if the request carries one.
pub(crate) async fn wait_for_token(
    state: &AppState,
    token: Option<&ConsistencyToken>,
    tenant: &TenantId,
) -> Result<(), ApiError> {
    match authz_token(state, token, tenant).await? {
        Some(token) => wait_for_write(state, token).await,
        None => Ok(()),
    }
}

/// What a module's handler waits with (`plinth_infra_edge::Consistency::wait_for`): the
/// token checked as [`committed`], then the projection waited for.
pub(crate) struct ReadModels(pub(crate) AppState);

#[async_trait::async_trait]
impl Freshness for ReadModels {
    async fn wait(
        &self,
        token: &ConsistencyToken,
        tenant: &TenantId,
        projection: &str,
    ) -> Result<(), ApiError> {
        let token = committed(&self.0, token, tenant.as_str()).await?;
        wait_for_view(&self.0, projection, token).await
    }
}
