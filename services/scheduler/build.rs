//! Generates this module's `MANIFEST` from its `module.toml`.

fn main() {
    plinth_domain_manifest::build::module();
}
