//! The registered modules' manifests together.

use crate::{JobInfo, Manifest, Permission, PermissionInfo, RouteInfo};

/// Manifests that cannot be registered together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("module {0} is registered twice")]
    DuplicateModule(String),
    #[error("module {module}: {reason}")]
    Invalid { module: String, reason: String },
    #[error("route {method} {path} is declared by both {first} and {second}")]
    DuplicateRoute {
        method: String,
        path: String,
        first: String,
        second: String,
    },
}

/// Every permission and route of the registered modules.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    manifests: Vec<&'static Manifest>,
}

impl Registry {
    /// The registry of `manifests`: module names and routes must be unique across them, and
    /// each manifest must keep to its own module — its permissions and resource types named
    /// `<module>.…`, its routes needing only permissions it declares (as it declares them, so a
    /// permission's sensitivity cannot be disowned), its job kinds `<module>.…` too. The build checks a generated manifest the
    /// same way; this holds for one written by hand too.
    pub fn new(
        manifests: impl IntoIterator<Item = &'static Manifest>,
    ) -> Result<Self, RegistryError> {
        let manifests: Vec<&'static Manifest> = manifests.into_iter().collect();
        for (i, m) in manifests.iter().enumerate() {
            if manifests[..i].iter().any(|o| o.name == m.name) {
                return Err(RegistryError::DuplicateModule(m.name.to_owned()));
            }
            own(m)?;
        }
        let registry = Self { manifests };
        let routes: Vec<&RouteInfo> = registry.routes().collect();
        for (i, r) in routes.iter().enumerate() {
            if let Some(first) = routes[..i]
                .iter()
                .find(|o| o.method == r.method && o.path == r.path)
            {
                return Err(RegistryError::DuplicateRoute {
                    method: r.method.to_owned(),
                    path: r.path.to_owned(),
                    first: first.module.to_owned(),
                    second: r.module.to_owned(),
                });
            }
        }
        Ok(registry)
    }

    /// The manifests, in registration order.
    pub fn manifests(&self) -> &[&'static Manifest] {
        &self.manifests
    }

    /// Every declared permission.
    pub fn permissions(&self) -> impl Iterator<Item = &'static PermissionInfo> + '_ {
        self.manifests.iter().flat_map(|m| m.permissions.iter())
    }

    /// Every declared route.
    pub fn routes(&self) -> impl Iterator<Item = &'static RouteInfo> + '_ {
        self.manifests.iter().flat_map(|m| m.routes.iter())
    }

    /// The declared permission named `name`, if any (for names arriving over the API).
    pub fn parse(&self, name: &str) -> Option<Permission> {
        self.permissions()
            .map(|p| p.permission)
            .find(|p| p.as_str() == name)
    }

    /// Every declared job kind.
    pub fn jobs(&self) -> impl Iterator<Item = &'static JobInfo> + '_ {
        self.manifests.iter().flat_map(|m| m.jobs.iter())
    }

    /// The route declared for `method` and `path`, if any.
    pub fn route(&self, method: &str, path: &str) -> Option<&'static RouteInfo> {
        self.routes().find(|r| r.method == method && r.path == path)
    }
}

/// Checks that `m` keeps to its own module.
fn own(m: &Manifest) -> Result<(), RegistryError> {
    let invalid = |reason: String| RegistryError::Invalid {
        module: m.name.to_owned(),
        reason,
    };
    let prefix = format!("{}.", m.name);
    if let Some(p) = m
        .permissions
        .iter()
        .find(|p| !p.permission.as_str().starts_with(&prefix))
    {
        return Err(invalid(format!(
            "permission {} is not the module's own",
            p.permission
        )));
    }
    for r in m.routes {
        if r.module != m.name {
            return Err(invalid(format!(
                "route {} {} claims module {}",
                r.method, r.path, r.module
            )));
        }
        if let crate::Access::Permission(p) = r.access
            && !m.permissions.iter().any(|d| d.permission == p)
        {
            return Err(invalid(format!(
                "route {} {} needs {p}, which the module does not declare so",
                r.method, r.path
            )));
        }
        if let Some(resource) = r.resource
            && !resource.resource_type.starts_with(&prefix)
        {
            return Err(invalid(format!(
                "route {} {} acts on {}, not one of the module's resources",
                r.method, r.path, resource.resource_type
            )));
        }
    }
    if let Some(j) = m.jobs.iter().find(|j| !j.kind.starts_with(&prefix)) {
        return Err(invalid(format!(
            "job kind {} is not the module's own",
            j.kind
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Access;

    const EDIT: Permission = Permission::declared("blog.post.edit", false);

    static BLOG: Manifest = Manifest {
        name: "blog",
        version: "1",
        permissions: &[PermissionInfo {
            permission: EDIT,
            description: "Edit posts.",
        }],
        routes: &[RouteInfo {
            module: "blog",
            method: "PATCH",
            path: "/v1/posts/{id}",
            access: Access::Permission(EDIT),
            owner_param: None,
            resource: None,
            credentials: false,
        }],
        jobs: &[],
    };

    static NEWS: Manifest = Manifest {
        name: "news",
        version: "1",
        permissions: &[],
        routes: &[RouteInfo {
            module: "news",
            method: "PATCH",
            path: "/v1/posts/{id}",
            access: Access::Public,
            owner_param: None,
            resource: None,
            credentials: false,
        }],
        jobs: &[],
    };

    #[test]
    fn names_arriving_over_the_api_parse_only_to_declared_permissions() {
        let registry = Registry::new([&BLOG]).unwrap();
        assert_eq!(registry.parse("blog.post.edit"), Some(EDIT));
        assert_eq!(registry.parse("blog.post.levitate"), None);
        assert_eq!(
            registry.route("PATCH", "/v1/posts/{id}").map(|r| r.module),
            Some("blog")
        );
    }

    static DISOWNING: Manifest = Manifest {
        name: "news",
        version: "1",
        permissions: &[],
        routes: &[RouteInfo {
            module: "news",
            method: "DELETE",
            path: "/v1/news/{id}",
            access: Access::Permission(Permission::declared("blog.post.edit", false)),
            owner_param: None,
            resource: None,
            credentials: false,
        }],
        jobs: &[],
    };

    #[test]
    fn a_manifest_may_not_guard_a_route_with_another_modules_permission() {
        let error = Registry::new([&BLOG, &DISOWNING]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "module news: route DELETE /v1/news/{id} needs blog.post.edit, which the module does not declare so"
        );
    }

    #[test]
    fn the_same_route_in_two_modules_or_a_module_twice_is_refused() {
        assert_eq!(
            Registry::new([&BLOG, &NEWS]).unwrap_err().to_string(),
            "route PATCH /v1/posts/{id} is declared by both blog and news"
        );
        assert_eq!(
            Registry::new([&BLOG, &BLOG]).unwrap_err(),
            RegistryError::DuplicateModule("blog".into())
        );
    }
}
