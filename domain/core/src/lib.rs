//! Domain vocabulary shared by every Plinth aggregate: who acted ([`Actor`]), in which tenant
//! ([`TenantId`]), why ([`CommandMetadata`]: correlation, causation, trace), and the uniqueness an
//! event needs across aggregates ([`UniqueClaim`]), and the token that names a committed write
//! for read-your-writes ([`ConsistencyToken`]). Pure data: no I/O.

mod consistency;
mod metadata;
mod tenant;
mod unique;

pub use consistency::{ConsistencyToken, TokenError};
pub use metadata::{Actor, ActorError, CommandMetadata, MetadataError, metadata_keys};
pub use tenant::{TenantId, TenantIdError};
pub use unique::{UniqueClaim, UniqueClaims};
