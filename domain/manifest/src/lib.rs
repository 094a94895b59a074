//! Module manifests: every module (a service, the gateway, a feature module) declares in
//! `module.toml` its name, the permissions it owns, its HTTP routes with the access each
//! needs, and the kinds of job it runs. This crate parses and validates one ([`parse`], [`validate`]) and writes its Rust code
//! ([`generate`]: typed permission constants and a `MANIFEST` static); a module's build script
//! runs [`build::module`] to do all of it, so no permission string is typed by hand anywhere
//! else.
//!
//! ```toml
//! [module]
//! name = "identity"
//! version = "0.1.0"
//!
//! [[permissions]]
//! name = "identity.user.read"
//! description = "Read any user of the tenant."
//!
//! [[routes]]
//! method = "GET"
//! path = "/v1/users/{id}"
//! access = "identity.user.read"   # or "public", or "authenticated"
//! owner_param = "id"              # optional: the caller may always act on itself
//! # optional, for a route acting on one resource: the guard checks the permission on the
//! # resource named by the path parameter, with the owner the module's resolver gives
//! # resource = "identity.user"
//! # resource_param = "id"
//! # credentials = true            # optional: takes credentials or sends mail (sign-in,
//! #                               # registration, reset): limited per address and per account
//!
//! [[jobs]]
//! kind = "identity.purge"          # <module>.<name>: the module's handler runs jobs of it
//! description = "Purges expired tokens."
//! ```

pub mod build;
mod generate;
mod parse;
mod validate;

pub use generate::generate;
pub use parse::parse;
pub use validate::validate;

/// One module's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Where it was read from, for messages.
    pub path: String,
    pub name: String,
    pub version: String,
    pub permissions: Vec<PermissionDecl>,
    pub routes: Vec<RouteDecl>,
    pub jobs: Vec<JobDecl>,
}

/// A kind of job a module runs: `<module>.<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDecl {
    pub kind: String,
    pub description: String,
    /// The manifest line that declares it.
    pub line: usize,
}

/// A permission a module declares: `<module>.<resource>.<action>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionDecl {
    pub name: String,
    pub description: String,
    /// Decisions on it are reported to audit even when allowed.
    pub sensitive: bool,
    /// The manifest line that declares it.
    pub line: usize,
}

/// A route a module serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDecl {
    pub method: String,
    pub path: String,
    pub access: Access,
    /// A path parameter naming a user: that user may always call the route on itself.
    pub owner_param: Option<String>,
    /// The type of the resource the route acts on (`blog.post`), whose id is the path
    /// parameter `resource_param`: the guard checks the permission on that resource.
    pub resource: Option<String>,
    pub resource_param: Option<String>,
    /// The route takes credentials or sends mail: limited per client address and per account.
    pub credentials: bool,
    pub line: usize,
}

/// What a route requires of its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user, acting on their own account.
    Authenticated,
    /// A signed-in user holding this permission in the tenant.
    Permission(String),
}

/// A manifest that cannot be used; the message names the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct Error {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl Error {
    pub(crate) fn at(path: &str, line: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            line,
            message: message.into(),
        }
    }
}
