//! Generates the permission constants and route tables from every `module.toml`: the gateway's
//! (`gateway/module.toml`) and each service's (`services/*/module.toml`). An invalid manifest
//! fails the build with its file and line.

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir.join("../..");
    println!(
        "cargo::rerun-if-changed={}",
        root.join("services").display()
    );
    for path in plinth_domain_manifest::manifest_paths(&root) {
        println!("cargo::rerun-if-changed={}", path.display());
    }
    let code = plinth_domain_manifest::generate_workspace(&root)
        .unwrap_or_else(|e| panic!("invalid module manifest: {e}"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("generated.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
