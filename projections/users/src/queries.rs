//! The queries the gateway serves from `users_v1`.

use chrono::{DateTime, Utc};
use plinth_infra_postgres::GenericClient;
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

/// A user as the read model shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserView {
    pub id: Uuid,
    pub tenant_id: String,
    pub email: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub email_verified: bool,
    pub disabled: bool,
    pub administrator: bool,
    pub version: i64,
}

impl From<&Row> for UserView {
    fn from(r: &Row) -> Self {
        Self {
            id: r.get("user_id"),
            tenant_id: r.get("tenant_id"),
            email: r.get("email"),
            display_name: r.get("display_name"),
            created_at: r.get("created_at"),
            email_verified: r.get("email_verified"),
            disabled: r.get("disabled"),
            administrator: r.get("administrator"),
            version: r.get("version"),
        }
    }
}

/// The user `id` of `tenant`, if the view has it.
pub async fn get_user(
    client: &impl GenericClient,
    tenant: &str,
    id: Uuid,
) -> Result<Option<UserView>, tokio_postgres::Error> {
    let row = client
        .query_opt(include_str!("../sql/get_user.sql"), &[&id, &tenant])
        .await?;
    Ok(row.as_ref().map(UserView::from))
}

/// One page of a user listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserPage {
    pub users: Vec<UserView>,
    /// The id to pass as `after` for the next page; `None` on the last page.
    pub next: Option<Uuid>,
}

/// Up to `limit` users of `tenant` in creation order, after the user `after`, whose e-mail or
/// display name contains `search` (case-insensitive, taken literally).
pub async fn list_users(
    client: &impl GenericClient,
    tenant: &str,
    search: Option<&str>,
    after: Option<Uuid>,
    limit: u16,
) -> Result<UserPage, tokio_postgres::Error> {
    let pattern = search.map(|q| format!("%{}%", escape_like(q)));
    let fetch = i64::from(limit) + 1;
    let rows = client
        .query(
            include_str!("../sql/list_users.sql"),
            &[&tenant, &pattern, &after, &fetch],
        )
        .await?;
    let mut users: Vec<UserView> = rows.iter().map(UserView::from).collect();
    let next = if users.len() > usize::from(limit) {
        users.truncate(usize::from(limit));
        users.last().map(|u| u.id)
    } else {
        None
    };
    Ok(UserPage { users, next })
}

/// Escapes `LIKE` wildcards so that a search is taken literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// What the gateway checks on every authenticated request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub disabled: bool,
    /// Sessions started before this no longer work…
    pub sessions_not_before: Option<DateTime<Utc>>,
    /// …except this one (it changed the password).
    pub session_kept: Option<Uuid>,
}

/// The access state of `user` in `tenant`; `None` while the view has not seen the user yet.
pub async fn access(
    client: &impl GenericClient,
    tenant: &str,
    user: Uuid,
) -> Result<Option<Access>, tokio_postgres::Error> {
    let row = client
        .query_opt(include_str!("../sql/access.sql"), &[&user, &tenant])
        .await?;
    Ok(row.map(|r| Access {
        disabled: r.get("disabled"),
        sessions_not_before: r.get("sessions_not_before"),
        session_kept: r.get("session_kept"),
    }))
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_in_a_search_are_taken_literally() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
