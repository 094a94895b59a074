//! What a module's build script runs: `plinth_domain_manifest::build::module()` reads the
//! crate's `module.toml`, validates it, and writes the generated code to `$OUT_DIR/manifest.rs`
//! for the crate to `include!`. An invalid manifest fails the build with its file and line.

use std::path::{Path, PathBuf};

use crate::{Error, generate, parse, validate};

/// The generated code of the manifest at `path` (named `shown` in messages).
pub fn code(path: &Path, shown: &str) -> Result<String, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::at(shown, 0, format!("cannot read it: {e}")))?;
    let manifest = parse(shown, &text)?;
    validate(&manifest)?;
    Ok(generate(&manifest))
}

/// The build script of a module crate.
///
/// # Panics
/// When the manifest is missing or invalid: the build fails with the message.
pub fn module() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let path = dir.join("module.toml");
    println!("cargo::rerun-if-changed={}", path.display());
    let shown = format!(
        "{}/module.toml",
        dir.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    let code = code(&path, &shown).unwrap_or_else(|e| panic!("invalid module manifest: {e}"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("manifest.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_manifest_fails_naming_its_file_and_line_and_a_good_one_generates_constants() {
        let dir = tempfile_dir();
        let path = dir.join("module.toml");
        std::fs::write(
            &path,
            "[module]\nname = \"blog\"\nversion = \"1\"\n\n[[permissions]]\nname = \"blog.Post.edit\"\ndescription = \"x\"\n",
        )
        .unwrap();
        let error = code(&path, "blog/module.toml").unwrap_err();
        assert_eq!((error.path.as_str(), error.line), ("blog/module.toml", 5));
        std::fs::write(
            &path,
            "[module]\nname = \"blog\"\nversion = \"1\"\n\n[[permissions]]\nname = \"blog.post.edit\"\ndescription = \"x\"\n",
        )
        .unwrap();
        assert!(
            code(&path, "blog/module.toml")
                .unwrap()
                .contains("POST_EDIT")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "plinth-manifest-test-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
