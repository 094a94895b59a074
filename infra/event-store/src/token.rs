use plinth_domain_core::ConsistencyToken;

/// Whether `token` names a write committed in `tenant`: its aggregate exists, was last written
/// in `tenant`, and has reached the token's sequence. A token that does not (made up, of
/// another tenant, or ahead of the store) can never be waited out, so readers answer at once.
pub async fn names_committed_write(
    client: &impl plinth_infra_postgres::GenericClient,
    token: &ConsistencyToken,
    tenant: &str,
) -> Result<bool, tokio_postgres::Error> {
    let row = client
        .query_opt(
            include_str!("../sql/aggregate_head.sql"),
            &[&token.aggregate_type, &token.aggregate_id],
        )
        .await?;
    Ok(row.is_some_and(|row| {
        row.get::<_, i64>("sequence") >= token.sequence
            && row.get::<_, Option<String>>("tenant_id").as_deref() == Some(tenant)
    }))
}
