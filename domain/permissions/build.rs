//! Generates the permission constants and route tables from every `module.toml`: the gateway's
//! (`gateway/module.toml`) and each service's (`services/*/module.toml`). An invalid manifest
//! fails the build with its file and line.

use std::path::{Path, PathBuf};

fn manifests(root: &Path) -> Vec<PathBuf> {
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

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir.join("../..");
    println!(
        "cargo::rerun-if-changed={}",
        root.join("services").display()
    );
    let mut parsed = Vec::new();
    for path in manifests(&root) {
        println!("cargo::rerun-if-changed={}", path.display());
        let shown = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {shown}: {e}"));
        match plinth_domain_manifest::parse(&shown, &text) {
            Ok(manifest) => parsed.push(manifest),
            Err(e) => panic!("invalid module manifest: {e}"),
        }
    }
    if let Err(e) = plinth_domain_manifest::validate(&parsed) {
        panic!("invalid module manifest: {e}");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("generated.rs");
    std::fs::write(&out, plinth_domain_manifest::generate(&parsed))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
