//! The `Binding` aggregate: one subject holding one role in one tenant, optionally only in a
//! scope, only on resources the subject owns, and only between two instants.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use plinth_domain_core::{TenantId, UniqueClaim, UniqueClaims};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{AuthzServices, BuiltInRole, RoleRef, Scope};

/// What can be asked of a binding.
#[derive(Debug, Clone)]
pub enum BindingCommand {
    Bind(BindSubject),
    Unbind,
}

/// Give `subject` the `role` in `tenant_id`.
#[derive(Debug, Clone)]
pub struct BindSubject {
    pub binding_id: Uuid,
    pub tenant_id: TenantId,
    pub subject: Uuid,
    pub role: RoleRef,
    pub scope: Scope,
    /// Only on resources whose owner is the subject ("authors edit their own posts").
    pub owner_only: bool,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// What happened to a binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BindingEvent {
    SubjectBound(SubjectBound),
    SubjectUnbound(SubjectUnbound),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectBound {
    pub binding_id: Uuid,
    pub tenant_id: TenantId,
    pub subject: Uuid,
    pub role: RoleRef,
    pub scope: Scope,
    pub owner_only: bool,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectUnbound {
    pub binding_id: Uuid,
    pub tenant_id: TenantId,
    pub subject: Uuid,
    pub at: DateTime<Utc>,
}

impl DomainEvent for BindingEvent {
    fn event_type(&self) -> String {
        match self {
            Self::SubjectBound(_) => "SubjectBound",
            Self::SubjectUnbound(_) => "SubjectUnbound",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for BindingEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }
}

/// Why a binding command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    #[error("the binding already exists")]
    AlreadyBound,
    #[error("no such binding")]
    NotFound,
    #[error("valid_until must be after valid_from")]
    EmptyPeriod,
    #[error("valid_until has already passed: the binding would never apply")]
    AlreadyOver,
    #[error("platform-admin is bound for everything: no scope, no owner condition")]
    PlatformAdminIsUnscoped,
}

/// A binding.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Binding {
    bound: Option<SubjectBound>,
    unbound: bool,
}

impl Binding {
    /// The binding as bound; `None` before it is bound and after it is unbound.
    pub fn bound(&self) -> Option<&SubjectBound> {
        self.bound.as_ref()
    }
}

impl SubjectBound {
    /// Whether the binding is within its validity period at `now`.
    pub fn valid_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|from| from <= now)
            && self.valid_until.is_none_or(|until| now < until)
    }
}

impl Aggregate for Binding {
    const TYPE: &'static str = "authz.binding";
    type Command = BindingCommand;
    type Event = BindingEvent;
    type Error = BindingError;
    type Services = AuthzServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let at = (services.clock)();
        let event = match command {
            BindingCommand::Bind(_) if self.bound.is_some() => {
                return Err(BindingError::AlreadyBound);
            }
            BindingCommand::Bind(cmd) => {
                if let (Some(from), Some(until)) = (cmd.valid_from, cmd.valid_until)
                    && until <= from
                {
                    return Err(BindingError::EmptyPeriod);
                }
                if cmd.valid_until.is_some_and(|until| until <= at) {
                    return Err(BindingError::AlreadyOver);
                }
                if cmd.role == RoleRef::BuiltIn(BuiltInRole::PlatformAdmin)
                    && (cmd.scope != Scope::Tenant || cmd.owner_only)
                {
                    return Err(BindingError::PlatformAdminIsUnscoped);
                }
                BindingEvent::SubjectBound(SubjectBound {
                    binding_id: cmd.binding_id,
                    tenant_id: cmd.tenant_id,
                    subject: cmd.subject,
                    role: cmd.role,
                    scope: cmd.scope,
                    owner_only: cmd.owner_only,
                    valid_from: cmd.valid_from,
                    valid_until: cmd.valid_until,
                    at,
                })
            }
            BindingCommand::Unbind if self.unbound && self.bound.is_none() => return Ok(()),
            BindingCommand::Unbind => {
                let bound = self.bound.as_ref().ok_or(BindingError::NotFound)?;
                BindingEvent::SubjectUnbound(SubjectUnbound {
                    binding_id: bound.binding_id,
                    tenant_id: bound.tenant_id.clone(),
                    subject: bound.subject,
                    at,
                })
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            BindingEvent::SubjectBound(e) => {
                self.bound = Some(e);
                self.unbound = false;
            }
            BindingEvent::SubjectUnbound(_) => {
                self.bound = None;
                self.unbound = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use cqrs_es::test::TestFramework;

    use super::*;

    fn noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    fn framework() -> TestFramework<Binding> {
        TestFramework::with(AuthzServices {
            clock: Arc::new(noon),
        })
    }

    fn bind(role: RoleRef, scope: Scope, period: (Option<i64>, Option<i64>)) -> BindingCommand {
        let hours = |h: i64| noon() + chrono::Duration::hours(h);
        BindingCommand::Bind(BindSubject {
            binding_id: Uuid::from_u128(5),
            tenant_id: TenantId::default(),
            subject: Uuid::from_u128(7),
            role,
            scope,
            owner_only: false,
            valid_from: period.0.map(hours),
            valid_until: period.1.map(hours),
        })
    }

    #[tokio::test]
    async fn a_binding_needs_a_non_empty_period() {
        framework()
            .given_no_previous_events()
            .when_async(bind(
                RoleRef::BuiltIn(BuiltInRole::Admin),
                Scope::Tenant,
                (Some(2), Some(1)),
            ))
            .await
            .then_expect_error(BindingError::EmptyPeriod);
    }

    #[tokio::test]
    async fn platform_admin_cannot_be_scoped() {
        framework()
            .given_no_previous_events()
            .when_async(bind(
                RoleRef::BuiltIn(BuiltInRole::PlatformAdmin),
                Scope::ResourceType("blog.post".into()),
                (None, None),
            ))
            .await
            .then_expect_error(BindingError::PlatformAdminIsUnscoped);
    }

    #[tokio::test]
    async fn unbinding_ends_the_binding_and_binding_again_starts_it_anew() {
        let bound = SubjectBound {
            binding_id: Uuid::from_u128(5),
            tenant_id: TenantId::default(),
            subject: Uuid::from_u128(7),
            role: RoleRef::BuiltIn(BuiltInRole::Member),
            scope: Scope::Tenant,
            owner_only: false,
            valid_from: None,
            valid_until: None,
            at: noon(),
        };
        let unbound = BindingEvent::SubjectUnbound(SubjectUnbound {
            binding_id: Uuid::from_u128(5),
            tenant_id: TenantId::default(),
            subject: Uuid::from_u128(7),
            at: noon(),
        });
        framework()
            .given(vec![BindingEvent::SubjectBound(bound.clone())])
            .when_async(BindingCommand::Unbind)
            .await
            .then_expect_events(vec![unbound.clone()]);
        framework()
            .given(vec![BindingEvent::SubjectBound(bound.clone()), unbound])
            .when_async(bind(
                RoleRef::BuiltIn(BuiltInRole::Member),
                Scope::Tenant,
                (None, None),
            ))
            .await
            .then_expect_events(vec![BindingEvent::SubjectBound(bound)]);
    }

    #[tokio::test]
    async fn a_binding_that_is_already_over_is_refused() {
        framework()
            .given_no_previous_events()
            .when_async(bind(
                RoleRef::BuiltIn(BuiltInRole::Member),
                Scope::Tenant,
                (None, Some(0)),
            ))
            .await
            .then_expect_error(BindingError::AlreadyOver);
    }
}
