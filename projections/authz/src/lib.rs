//! The authorization view: every role and binding, held in memory and kept current from the
//! `authz.role` and `authz.binding` topics, so a check costs microseconds. [`Policy`] is the
//! pure decision engine (`policy/`); [`AuthzView`] holds it with the sequence applied per
//! aggregate, for checks that must see a given write; [`feed`] keeps a view current from Kafka.

mod feed;
mod policy;
mod view;

pub use feed::{AGGREGATE_TYPES, feed};
pub use policy::{
    BindingInfo, CheckRequest, Held, Holder, Page, Policy, Resource, RoleInfo, Verdict,
};
pub use view::AuthzView;
