//! Domain vocabulary shared by every Plinth aggregate: who acted ([`Actor`]), in which tenant
//! ([`TenantId`]), why ([`CommandMetadata`]: correlation, causation, trace), and the uniqueness an
//! event needs across aggregates ([`UniqueClaim`]). Pure data: no I/O.

mod metadata;
mod tenant;
mod unique;

pub use metadata::{Actor, ActorError, CommandMetadata, MetadataError, metadata_keys};
pub use tenant::{TenantId, TenantIdError};
pub use unique::{UniqueClaim, UniqueClaims};
