//! Generates this module's permission constants and `MANIFEST` from its `module.toml`.

fn main() {
    plinth_domain_manifest::build::module();
}
