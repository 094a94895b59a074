//! The Rust code of one module's manifest: a `permissions` module with one constant per
//! permission, a `job_kinds` module with one per job kind, and a `MANIFEST` static with its
//! permissions, routes and job kinds.

use std::fmt::Write;

use crate::{Access, Manifest};

/// `identity.user.read` → `USER_READ` (the module is the enclosing crate).
fn const_name(permission: &str) -> String {
    permission
        .split('.')
        .skip(1)
        .collect::<Vec<_>>()
        .join("_")
        .to_ascii_uppercase()
}

/// The generated code, to be `include!`d at a crate's root. Validate the manifest first.
pub fn generate(m: &Manifest) -> String {
    let mut out = format!(
        "// Generated from {} by plinth-domain-manifest. Do not edit.\n\n",
        m.path
    );
    let _ = writeln!(out, "/// The permissions `{}` declares.", m.path);
    out.push_str("pub mod permissions {\n");
    if !m.permissions.is_empty() {
        out.push_str("    use plinth_domain_permissions::Permission;\n");
    }
    for p in &m.permissions {
        let _ = writeln!(out, "    /// {}", p.description);
        let _ = writeln!(
            out,
            "    pub const {}: Permission = Permission::declared({:?}, {});",
            const_name(&p.name),
            p.name,
            p.sensitive
        );
    }
    out.push_str("}\n\n");
    let _ = writeln!(out, "/// The job kinds `{}` declares.", m.path);
    out.push_str("pub mod job_kinds {\n");
    for j in &m.jobs {
        let _ = writeln!(out, "    /// {}", j.description);
        let _ = writeln!(
            out,
            "    pub const {}: &str = {:?};",
            j.kind
                .split_once('.')
                .map_or(j.kind.as_str(), |(_, name)| name)
                .to_ascii_uppercase(),
            j.kind
        );
    }
    out.push_str("}\n\n");
    let _ = writeln!(
        out,
        "/// The module's manifest, as `{}` declares it.",
        m.path
    );
    let _ = writeln!(
        out,
        "pub static MANIFEST: plinth_domain_permissions::Manifest = plinth_domain_permissions::Manifest {{\n    name: {:?},\n    version: {:?},\n    permissions: &[",
        m.name, m.version
    );
    for p in &m.permissions {
        let _ = writeln!(
            out,
            "        plinth_domain_permissions::PermissionInfo {{ permission: permissions::{}, description: {:?} }},",
            const_name(&p.name),
            p.description
        );
    }
    out.push_str("    ],\n    routes: &[\n");
    for r in &m.routes {
        let access = match &r.access {
            Access::Public => "plinth_domain_permissions::Access::Public".to_owned(),
            Access::Authenticated => "plinth_domain_permissions::Access::Authenticated".to_owned(),
            Access::Permission(p) => format!(
                "plinth_domain_permissions::Access::Permission(permissions::{})",
                const_name(p)
            ),
        };
        let resource = match (&r.resource, &r.resource_param) {
            (Some(resource_type), Some(param)) => format!(
                "Some(plinth_domain_permissions::RouteResource {{ resource_type: {resource_type:?}, param: {param:?} }})"
            ),
            _ => "None".to_owned(),
        };
        let _ = writeln!(
            out,
            "        plinth_domain_permissions::RouteInfo {{ module: {:?}, method: {:?}, path: {:?}, access: {access}, owner_param: {:?}, resource: {resource}, credentials: {} }},",
            m.name, r.method, r.path, r.owner_param, r.credentials
        );
    }
    out.push_str("    ],\n    jobs: &[\n");
    for j in &m.jobs {
        let _ = writeln!(
            out,
            "        plinth_domain_permissions::JobInfo {{ kind: {:?}, description: {:?} }},",
            j.kind, j.description
        );
    }
    out.push_str("    ],\n};\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permission_becomes_a_constant_and_a_route_names_it() {
        let manifest = crate::parse(
            "blog/module.toml",
            "[module]\nname = \"blog\"\nversion = \"1\"\n\n[[permissions]]\nname = \"blog.post.edit\"\ndescription = \"Edit posts.\"\nsensitive = true\n\n[[routes]]\nmethod = \"PATCH\"\npath = \"/v1/posts/{id}\"\naccess = \"blog.post.edit\"\nowner_param = \"id\"\n",
        )
        .unwrap();
        let code = generate(&manifest);
        assert!(code.contains("pub mod permissions {"), "{code}");
        assert!(
            code.contains(
                "pub const POST_EDIT: Permission = Permission::declared(\"blog.post.edit\", true);"
            ),
            "{code}"
        );
        assert!(
            code.contains("access: plinth_domain_permissions::Access::Permission(permissions::POST_EDIT), owner_param: Some(\"id\"), resource: None"),
            "{code}"
        );
    }
}
