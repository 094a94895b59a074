//! The whole code generation as the build runs it: find every manifest of a workspace
//! (`gateway/module.toml`, then `services/*/module.toml` in name order), parse and validate
//! them together, and write the Rust code. `plinth-domain-permissions`' build script calls
//! [`generate_workspace`]; its tests call it on workspaces with bad manifests.

use std::path::{Path, PathBuf};

use crate::{Error, generate, parse, validate};

/// The manifests of the workspace at `root`, gateway first.
pub fn manifest_paths(root: &Path) -> Vec<PathBuf> {
    let mut found = vec![root.join("gateway/module.toml")];
    let mut services: Vec<PathBuf> = std::fs::read_dir(root.join("services"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path().join("module.toml"))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    services.sort();
    found.extend(services);
    found
}

/// The generated code for the workspace at `root`; fails naming the manifest and line of the
/// first problem (or the manifest that cannot be read).
pub fn generate_workspace(root: &Path) -> Result<String, Error> {
    let mut parsed = Vec::new();
    for path in manifest_paths(root) {
        let shown = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::at(&shown, 0, format!("cannot read it: {e}")))?;
        parsed.push(parse(&shown, &text)?);
    }
    validate(&parsed)?;
    Ok(generate(&parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workspace in a fresh temporary directory with the given manifests.
    fn workspace(manifests: &[(&str, &str)]) -> PathBuf {
        let root = std::env::temp_dir().join(format!(
            "plinth-manifest-test-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        for (path, text) in manifests {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        root
    }

    const GATEWAY: &str = "[module]\nname = \"gateway\"\nversion = \"1\"\n";

    fn module(name: &str, permission: &str) -> String {
        format!(
            "[module]\nname = \"{name}\"\nversion = \"1\"\n\n[[permissions]]\nname = \"{permission}\"\ndescription = \"x\"\n"
        )
    }

    #[test]
    fn a_duplicate_permission_fails_the_codegen_naming_manifest_and_line() {
        let twice = format!(
            "{}\n[[permissions]]\nname = \"blog.post.edit\"\ndescription = \"again\"\n",
            module("blog", "blog.post.edit")
        );
        let root = workspace(&[
            ("gateway/module.toml", GATEWAY),
            ("services/blog/module.toml", &twice),
        ]);
        let error = generate_workspace(&root).unwrap_err();
        assert_eq!(
            error.to_string(),
            "services/blog/module.toml:9: duplicate permission blog.post.edit: first declared at services/blog/module.toml:5"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_malformed_permission_fails_the_codegen_and_a_good_workspace_generates_constants() {
        let root = workspace(&[
            ("gateway/module.toml", GATEWAY),
            (
                "services/blog/module.toml",
                &module("blog", "blog.Post.edit"),
            ),
        ]);
        let error = generate_workspace(&root).unwrap_err();
        assert_eq!(error.path, "services/blog/module.toml");
        assert_eq!(error.line, 5, "the permission's table: {error}");
        std::fs::write(
            root.join("services/blog/module.toml"),
            module("blog", "blog.post.edit"),
        )
        .unwrap();
        let code = generate_workspace(&root).unwrap();
        assert!(code.contains("POST_EDIT"), "{code}");
        std::fs::remove_dir_all(root).unwrap();
    }
}
