//! Every permission, route and module of Plinth, generated at build time from the module
//! manifests (`gateway/module.toml`, `services/*/module.toml`) by `plinth-domain-manifest`.
//! Code names a permission through its constant (`identity::USER_READ`), never by a string;
//! the gateway builds its guards from [`ROUTES`] and refuses to start a route missing there.

/// A permission: `<module>.<resource>.<action>`. Only the generated constants create them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission(&'static str);

impl Permission {
    /// The permission's name.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// Whether its manifest marks it sensitive: decisions on it are reported even when allowed.
    pub fn is_sensitive(self) -> bool {
        PERMISSIONS
            .iter()
            .any(|p| p.permission == self && p.sensitive)
    }

    /// The declared permission named `name`, if any (for names arriving over the API).
    pub fn parse(name: &str) -> Option<Self> {
        PERMISSIONS
            .iter()
            .find(|p| p.permission.0 == name)
            .map(|p| p.permission)
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
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
    pub module: &'static str,
    pub description: &'static str,
    /// Decisions on it are reported to audit even when allowed.
    pub sensitive: bool,
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
}

/// A module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleInfo {
    pub name: &'static str,
    pub version: &'static str,
    pub topics: &'static [&'static str],
}

/// The route declared for `method` and `path`, if any.
pub fn route(method: &str, path: &str) -> Option<&'static RouteInfo> {
    ROUTES.iter().find(|r| r.method == method && r.path == path)
}

include!(concat!(env!("OUT_DIR"), "/generated.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_permission_is_a_declared_one() {
        for route in ROUTES {
            if let Access::Permission(p) = route.access {
                assert_eq!(Permission::parse(p.as_str()), Some(p), "{route:?}");
            }
        }
        assert_eq!(Permission::parse("identity.user.levitate"), None);
    }
}
