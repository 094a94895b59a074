//! `module.toml` → [`Manifest`], remembering the line of each permission and route.

use serde::Deserialize;
use toml::Spanned;

use crate::{Access, Error, JobDecl, Manifest, PermissionDecl, RouteDecl};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    module: RawModule,
    #[serde(default)]
    permissions: Vec<Spanned<RawPermission>>,
    #[serde(default)]
    routes: Vec<Spanned<RawRoute>>,
    #[serde(default)]
    jobs: Vec<Spanned<RawJob>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    kind: String,
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModule {
    name: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPermission {
    name: String,
    description: String,
    #[serde(default)]
    sensitive: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    method: String,
    path: String,
    access: String,
    owner_param: Option<String>,
    resource: Option<String>,
    resource_param: Option<String>,
    #[serde(default)]
    credentials: bool,
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses the manifest `text` read from `path`.
pub fn parse(path: &str, text: &str) -> Result<Manifest, Error> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        Error::at(path, line, e.message().to_owned())
    })?;
    let permissions = raw
        .permissions
        .into_iter()
        .map(|p| {
            let line = line_of(text, p.span().start);
            let p = p.into_inner();
            PermissionDecl {
                name: p.name,
                description: p.description,
                sensitive: p.sensitive,
                line,
            }
        })
        .collect();
    let routes = raw
        .routes
        .into_iter()
        .map(|r| {
            let line = line_of(text, r.span().start);
            let r = r.into_inner();
            let access = match r.access.as_str() {
                "public" => Access::Public,
                "authenticated" => Access::Authenticated,
                permission => Access::Permission(permission.to_owned()),
            };
            RouteDecl {
                method: r.method,
                path: r.path,
                access,
                owner_param: r.owner_param,
                resource: r.resource,
                resource_param: r.resource_param,
                credentials: r.credentials,
                line,
            }
        })
        .collect();
    let jobs = raw
        .jobs
        .into_iter()
        .map(|j| {
            let line = line_of(text, j.span().start);
            let j = j.into_inner();
            JobDecl {
                kind: j.kind,
                description: j.description,
                line,
            }
        })
        .collect();
    Ok(Manifest {
        path: path.to_owned(),
        name: raw.module.name,
        version: raw.module.version,
        permissions,
        routes,
        jobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_and_routes_remember_their_lines() {
        let text = "[module]\nname = \"blog\"\nversion = \"1.0.0\"\n\n[[permissions]]\nname = \"blog.post.edit\"\ndescription = \"Edit posts.\"\n\n[[routes]]\nmethod = \"PATCH\"\npath = \"/v1/posts/{id}\"\naccess = \"blog.post.edit\"\n";
        let manifest = parse("blog/module.toml", text).unwrap();
        assert_eq!(manifest.permissions[0].line, 5);
        assert_eq!(manifest.routes[0].line, 9);
        assert_eq!(
            manifest.routes[0].access,
            Access::Permission("blog.post.edit".into())
        );
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_the_file_and_line() {
        let text = "[module]\nname = \"blog\"\nversion = \"1\"\n\n[[routes]]\nmethod = \"GET\"\npath = \"/x\"\nacess = \"public\"\n";
        let error = parse("blog/module.toml", text).unwrap_err();
        assert_eq!(error.path, "blog/module.toml");
        assert!(error.line >= 5, "{error}");
        assert!(error.message.contains("acess"), "{error}");
    }
}
