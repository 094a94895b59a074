//! Rules every manifest must follow; the first violation fails its module's build. Rules
//! across manifests (module names and routes unique) are the registry's, at start.

use std::collections::HashMap;

use crate::{Access, Error, Manifest};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Whether `name` is `<module>.<resource>.<action>` in lower snake case.
fn well_formed(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            p.starts_with(|c: char| c.is_ascii_lowercase())
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// Checks one manifest: its module name well formed; every permission well formed, owned by
/// the module (`<module>.…`) and declared once; every route's method known, path absolute,
/// declared once, and its permission one the manifest declares; `owner_param` naming a
/// parameter of its path; every job kind `<module>.<name>` in lower snake case, declared once.
pub fn validate(m: &Manifest) -> Result<(), Error> {
    let mut permissions: HashMap<&str, (&str, usize)> = HashMap::new();
    let module_ok = m.name.starts_with(|c: char| c.is_ascii_lowercase())
        && m.name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if !module_ok {
        return Err(Error::at(
            &m.path,
            1,
            format!("module name {:?} must be lower case letters and _", m.name),
        ));
    }
    for p in &m.permissions {
        if !well_formed(&p.name) {
            return Err(Error::at(
                &m.path,
                p.line,
                format!(
                    "permission {:?} is not <module>.<resource>.<action> in lower snake case",
                    p.name
                ),
            ));
        }
        if p.name.split('.').next() != Some(m.name.as_str()) {
            return Err(Error::at(
                &m.path,
                p.line,
                format!(
                    "permission {} must start with this module's name, {}.",
                    p.name, m.name
                ),
            ));
        }
        if let Some((path, line)) = permissions.insert(&p.name, (&m.path, p.line)) {
            return Err(Error::at(
                &m.path,
                p.line,
                format!(
                    "duplicate permission {}: first declared at {path}:{line}",
                    p.name
                ),
            ));
        }
    }

    let mut routes: HashMap<(&str, &str), (&str, usize)> = HashMap::new();
    for r in &m.routes {
        if !METHODS.contains(&r.method.as_str()) {
            return Err(Error::at(
                &m.path,
                r.line,
                format!("method {:?} is not one of {}", r.method, METHODS.join(", ")),
            ));
        }
        if !r.path.starts_with('/') {
            return Err(Error::at(
                &m.path,
                r.line,
                format!("path {:?} must start with /", r.path),
            ));
        }
        if let Some((path, line)) = routes.insert((&r.method, &r.path), (&m.path, r.line)) {
            return Err(Error::at(
                &m.path,
                r.line,
                format!(
                    "duplicate route {} {}: first declared at {path}:{line}",
                    r.method, r.path
                ),
            ));
        }
        if let Access::Permission(p) = &r.access
            && !permissions.contains_key(p.as_str())
        {
            return Err(Error::at(
                &m.path,
                r.line,
                format!(
                    "route {} {} needs {p:?}, which this manifest does not declare (a route needs one of its module's permissions, or \"public\" / \"authenticated\")",
                    r.method, r.path
                ),
            ));
        }
        if let Some(param) = &r.owner_param
            && !r.path.contains(&format!("{{{param}}}"))
        {
            return Err(Error::at(
                &m.path,
                r.line,
                format!("owner_param {param:?} is not a parameter of {}", r.path),
            ));
        }
    }
    let mut jobs: HashMap<&str, usize> = HashMap::new();
    for j in &m.jobs {
        let parts: Vec<&str> = j.kind.split('.').collect();
        if parts.len() != 2 || parts[0] != m.name || !well_formed(&format!("{}.x", j.kind)) {
            return Err(Error::at(
                &m.path,
                j.line,
                format!(
                    "job kind {:?} is not <module>.<name> in lower snake case, starting with {}.",
                    j.kind, m.name
                ),
            ));
        }
        if let Some(line) = jobs.insert(&j.kind, j.line) {
            return Err(Error::at(
                &m.path,
                j.line,
                format!(
                    "duplicate job kind {}: first declared at {}:{line}",
                    j.kind, m.path
                ),
            ));
        }
    }
    for r in &m.routes {
        match (&r.resource, &r.resource_param) {
            (None, None) => {}
            (Some(_), Some(_)) if !matches!(r.access, Access::Permission(_)) => {
                return Err(Error::at(
                    &m.path,
                    r.line,
                    "a route acting on a resource needs a permission (public and authenticated routes decide nothing on it)",
                ));
            }
            (Some(_), Some(_)) if r.owner_param.is_some() => {
                return Err(Error::at(
                    &m.path,
                    r.line,
                    "owner_param and resource do not go together: the resource's owner is its module's to say",
                ));
            }
            (Some(resource), Some(param)) => {
                let parts: Vec<&str> = resource.split('.').collect();
                if parts.len() != 2 || parts[0] != m.name || !well_formed(&format!("{resource}.x"))
                {
                    return Err(Error::at(
                        &m.path,
                        r.line,
                        format!(
                            "resource {resource:?} is not <module>.<type> in lower snake case, starting with {}.",
                            m.name
                        ),
                    ));
                }
                if !r.path.contains(&format!("{{{param}}}")) {
                    return Err(Error::at(
                        &m.path,
                        r.line,
                        format!("resource_param {param:?} is not a parameter of {}", r.path),
                    ));
                }
            }
            _ => {
                return Err(Error::at(
                    &m.path,
                    r.line,
                    "resource and resource_param go together",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn manifest(path: &str, text: &str) -> Manifest {
        parse(path, text).unwrap()
    }

    const BLOG: &str = "[module]\nname = \"blog\"\nversion = \"1.0.0\"\n\n[[permissions]]\nname = \"blog.post.edit\"\ndescription = \"Edit posts.\"\n";

    #[test]
    fn a_permission_declared_twice_fails_naming_both_places() {
        let twice = format!(
            "{BLOG}\n[[permissions]]\nname = \"blog.post.edit\"\ndescription = \"Again.\"\n"
        );
        let error = validate(&manifest("blog/module.toml", &twice)).unwrap_err();
        assert_eq!(error.line, 9, "{error}");
        assert!(
            error.to_string().contains(
                "duplicate permission blog.post.edit: first declared at blog/module.toml:5"
            ),
            "{error}"
        );
    }

    #[test]
    fn malformed_and_foreign_permissions_fail() {
        for (name, says) in [
            ("blog.Post.edit", "lower snake case"),
            ("blog.post", "lower snake case"),
            ("identity.user.read", "must start with this module's name"),
        ] {
            let text = BLOG.replace("blog.post.edit", name);
            let error = validate(&manifest("blog/module.toml", &text)).unwrap_err();
            assert!(error.to_string().contains(says), "{name}: {error}");
        }
    }

    #[test]
    fn a_route_needing_an_undeclared_permission_fails() {
        let text = format!(
            "{BLOG}\n[[routes]]\nmethod = \"DELETE\"\npath = \"/v1/posts/{{id}}\"\naccess = \"blog.post.delete\"\n"
        );
        let error = validate(&manifest("blog/module.toml", &text)).unwrap_err();
        assert!(
            error.to_string().contains(
                "blog/module.toml:9: route DELETE /v1/posts/{id} needs \"blog.post.delete\""
            ),
            "{error}"
        );
    }

    #[test]
    fn a_route_resource_needs_its_path_parameter_and_the_modules_name() {
        let route = |resource: &str, param: &str| {
            format!(
                "{BLOG}\n[[routes]]\nmethod = \"PATCH\"\npath = \"/v1/posts/{{id}}\"\naccess = \"blog.post.edit\"\nresource = \"{resource}\"\nresource_param = \"{param}\"\n"
            )
        };
        assert!(validate(&manifest("blog/module.toml", &route("blog.post", "id"))).is_ok());
        let error =
            validate(&manifest("blog/module.toml", &route("blog.post", "slug"))).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("resource_param \"slug\" is not a parameter"),
            "{error}"
        );
        let error = validate(&manifest("blog/module.toml", &route("news.post", "id"))).unwrap_err();
        assert!(error.to_string().contains("starting with blog."), "{error}");
    }

    #[test]
    fn a_job_kind_is_the_modules_own_and_declared_once() {
        let job = |kind: &str| format!("\n[[jobs]]\nkind = \"{kind}\"\ndescription = \"Runs.\"\n");
        let ok = format!("{BLOG}{}", job("blog.publish"));
        assert!(validate(&manifest("blog/module.toml", &ok)).is_ok());
        for (kind, says) in [
            ("news.publish", "starting with blog."),
            ("blog.Publish", "lower snake case"),
            ("blog.post.publish", "<module>.<name>"),
        ] {
            let text = format!("{BLOG}{}", job(kind));
            let error = validate(&manifest("blog/module.toml", &text)).unwrap_err();
            assert!(error.to_string().contains(says), "{kind}: {error}");
        }
        let twice = format!("{ok}{}", job("blog.publish"));
        let error = validate(&manifest("blog/module.toml", &twice)).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("duplicate job kind blog.publish: first declared at blog/module.toml:9"),
            "{error}"
        );
    }

    #[test]
    fn the_same_route_twice_fails() {
        let route = "\n[[routes]]\nmethod = \"GET\"\npath = \"/v1/posts\"\naccess = \"public\"\n";
        let error = validate(&manifest(
            "blog/module.toml",
            &format!("{BLOG}{route}{route}"),
        ))
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("blog/module.toml:14: duplicate route GET /v1/posts"),
            "{error}"
        );
    }
}
