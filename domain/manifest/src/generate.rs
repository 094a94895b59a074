//! The Rust code of `plinth-domain-permissions`: one constant per permission in a module per
//! manifest, and static tables of modules, permissions and routes.

use std::fmt::Write;

use crate::{Access, Manifest};

/// `identity.user.read` → `USER_READ` (the module is the enclosing `mod`).
fn const_name(permission: &str) -> String {
    permission
        .split('.')
        .skip(1)
        .collect::<Vec<_>>()
        .join("_")
        .to_ascii_uppercase()
}

/// The generated code. Validate the manifests first.
pub fn generate(manifests: &[Manifest]) -> String {
    let mut out = String::from(
        "// Generated from the module manifests by plinth-domain-manifest. Do not edit.\n\n",
    );
    for m in manifests {
        let _ = writeln!(out, "/// Permissions declared by `{}`.", m.path);
        let _ = writeln!(out, "pub mod {} {{", m.name);
        if !m.permissions.is_empty() {
            let _ = writeln!(out, "    use crate::Permission;");
        }
        for p in &m.permissions {
            let _ = writeln!(out, "    /// {}", p.description);
            let _ = writeln!(
                out,
                "    pub const {}: Permission = Permission({:?});",
                const_name(&p.name),
                p.name
            );
        }
        out.push_str("}\n\n");
    }
    out.push_str(
        "/// Every declared permission.\npub static PERMISSIONS: &[PermissionInfo] = &[\n",
    );
    for m in manifests {
        for p in &m.permissions {
            let _ = writeln!(
                out,
                "    PermissionInfo {{ permission: {}::{}, module: {:?}, description: {:?}, sensitive: {} }},",
                m.name,
                const_name(&p.name),
                m.name,
                p.description,
                p.sensitive
            );
        }
    }
    out.push_str("];\n\n/// Every declared route.\npub static ROUTES: &[RouteInfo] = &[\n");
    for m in manifests {
        for r in &m.routes {
            let access = match &r.access {
                Access::Public => "Access::Public".to_owned(),
                Access::Authenticated => "Access::Authenticated".to_owned(),
                Access::Permission(p) => {
                    let module = p.split('.').next().unwrap_or_default();
                    format!("Access::Permission({module}::{})", const_name(p))
                }
            };
            let _ = writeln!(
                out,
                "    RouteInfo {{ module: {:?}, method: {:?}, path: {:?}, access: {access}, owner_param: {:?} }},",
                m.name, r.method, r.path, r.owner_param
            );
        }
    }
    out.push_str("];\n\n/// Every module.\npub static MODULES: &[ModuleInfo] = &[\n");
    for m in manifests {
        let _ = writeln!(
            out,
            "    ModuleInfo {{ name: {:?}, version: {:?}, topics: &{:?} }},",
            m.name, m.version, m.topics
        );
    }
    out.push_str("];\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permission_becomes_a_constant_in_its_modules_namespace() {
        let manifest = crate::parse(
            "blog/module.toml",
            "[module]\nname = \"blog\"\nversion = \"1\"\n\n[[permissions]]\nname = \"blog.post.edit\"\ndescription = \"Edit posts.\"\n\n[[routes]]\nmethod = \"PATCH\"\npath = \"/v1/posts/{id}\"\naccess = \"blog.post.edit\"\nowner_param = \"id\"\n",
        )
        .unwrap();
        let code = generate(&[manifest]);
        assert!(code.contains("pub mod blog {"), "{code}");
        assert!(
            code.contains("pub const POST_EDIT: Permission = Permission(\"blog.post.edit\");"),
            "{code}"
        );
        assert!(
            code.contains("access: Access::Permission(blog::POST_EDIT), owner_param: Some(\"id\")"),
            "{code}"
        );
    }
}
