//! Permissions, routes and job kinds as module manifests declare them. Each module's build script turns
//! its `module.toml` into a `permissions` module of typed constants and a [`Manifest`] static
//! (`plinth-domain-manifest` generates both), so code names a permission through its constant
//! (`plinth_services_identity::permissions::USER_READ`), never by a string. The composition
//! root assembles the registered modules' manifests into a [`Registry`]: the routes the gateway
//! guards, and the permissions names arriving over the API are parsed against.

mod registry;

pub use registry::{Registry, RegistryError};

/// A permission: `<module>.<resource>.<action>`, and whether its manifest marks it sensitive.
/// Generated constants create them, and a [`Registry`] parses them; a [`Registry`] refuses a
/// manifest whose routes need a permission it does not declare exactly so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission {
    name: &'static str,
    sensitive: bool,
}

impl Permission {
    /// A permission as a manifest declares it; for the generated constants.
    #[doc(hidden)]
    pub const fn declared(name: &'static str, sensitive: bool) -> Self {
        Self { name, sensitive }
    }

    /// The permission's name.
    pub fn as_str(self) -> &'static str {
        self.name
    }

    /// Whether its manifest marks it sensitive: decisions on it are reported even when allowed.
    pub fn is_sensitive(self) -> bool {
        self.sensitive
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// What a route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user, acting on their own account.
    Authenticated,
    /// A signed-in user holding the permission in the tenant.
    Permission(Permission),
}

/// A declared permission and what its manifest says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionInfo {
    pub permission: Permission,
    pub description: &'static str,
}

/// A declared route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    pub module: &'static str,
    pub method: &'static str,
    /// The path in axum's syntax (`/v1/users/{id}`).
    pub path: &'static str,
    pub access: Access,
    /// A path parameter naming a user, who may always call the route on themself.
    pub owner_param: Option<&'static str>,
    /// The resource the route acts on: the guard checks the permission on it.
    pub resource: Option<RouteResource>,
    /// The route takes credentials or sends mail (sign-in, registration, password reset):
    /// the gateway limits it per client address, and its handler per account.
    pub credentials: bool,
}

/// The resource a route acts on: its type, and the path parameter holding its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteResource {
    /// `blog.post`; its module resolves it.
    pub resource_type: &'static str,
    pub param: &'static str,
}

/// A kind of job a module runs (its handler is handed to the scheduler).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobInfo {
    /// `<module>.<name>`: `blog.publish`.
    pub kind: &'static str,
    pub description: &'static str,
}

/// One module's manifest, as its `module.toml` declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manifest {
    pub name: &'static str,
    pub version: &'static str,
    pub permissions: &'static [PermissionInfo],
    pub routes: &'static [RouteInfo],
    pub jobs: &'static [JobInfo],
}
