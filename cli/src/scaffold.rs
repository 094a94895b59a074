//! `plinth modules new <name>`: writes a module skeleton into `services/<name>/` — one
//! aggregate, one event with its Avro schema (locked), one projection, one guarded route, its
//! manifest and its tests — adds the crate to the workspace and to the CLI's dependencies, and
//! says the one line that registers it. The templates are `cli/templates/module/`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Each template: where it goes in the module's folder, and its text.
const TEMPLATES: [(&str, &str); 11] = [
    (
        "Cargo.toml",
        include_str!("../templates/module/Cargo.toml.tmpl"),
    ),
    (
        "build.rs",
        include_str!("../templates/module/build.rs.tmpl"),
    ),
    (
        "module.toml",
        include_str!("../templates/module/module.toml.tmpl"),
    ),
    (
        "avro/ItemCreated.avsc",
        include_str!("../templates/module/avro/ItemCreated.avsc.tmpl"),
    ),
    (
        "migrations/0001_items_v1.sql",
        include_str!("../templates/module/migrations/0001_items_v1.sql.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../templates/module/src/lib.rs.tmpl"),
    ),
    (
        "src/domain.rs",
        include_str!("../templates/module/src/domain.rs.tmpl"),
    ),
    (
        "src/events.rs",
        include_str!("../templates/module/src/events.rs.tmpl"),
    ),
    (
        "src/projection.rs",
        include_str!("../templates/module/src/projection.rs.tmpl"),
    ),
    (
        "src/http.rs",
        include_str!("../templates/module/src/http.rs.tmpl"),
    ),
    ("avro/published.lock", ""),
];

/// What `new_module` wrote, and the line that registers the module.
#[derive(Debug)]
pub struct Scaffolded {
    pub folder: PathBuf,
    pub registration: String,
}

/// Writes the module `name` into the workspace at `root`.
pub fn new_module(root: &Path, name: &str) -> anyhow::Result<Scaffolded> {
    // The manifest's rule for a module name.
    let valid = name.len() <= 30
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if !valid {
        bail!(
            "a module name is 1 to 30 lower-case letters and _, starting with a letter, not {name:?}"
        );
    }
    if name == plinth_gateway::MANIFEST.name
        || crate::modules().iter().any(|m| m.manifest().name == name)
    {
        bail!("{name} is the name of a module this build registers already");
    }
    let folder = root.join("services").join(name);
    if folder.exists() {
        bail!("{} exists already", folder.display());
    }
    // Written aside, then moved into place, so a failure leaves no half-written module.
    let staging = root
        .join("services")
        .join(format!(".{name}.{}", uuid::Uuid::now_v7().simple()));
    let manifest_path = root.join("Cargo.toml");
    let workspace = std::fs::read_to_string(&manifest_path).with_context(|| {
        format!(
            "reading {}: run this in the workspace's root, or give --root",
            manifest_path.display()
        )
    })?;
    let crate_name = format!("plinth-services-{name}");
    if workspace.contains(&format!("\n{crate_name} ")) {
        bail!("the workspace has a crate {crate_name} already");
    }
    let camel: String = name
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    let render = |text: &str| text.replace("{{name}}", name).replace("{{Name}}", &camel);
    for (path, text) in TEMPLATES {
        let file = staging.join(path);
        std::fs::create_dir_all(file.parent().unwrap_or(&staging))
            .with_context(|| format!("creating {}", staging.display()))?;
        let text = if path == "avro/published.lock" {
            let avsc = render(TEMPLATES[3].1);
            let schema = apache_avro::Schema::parse_str(&avsc).context("the template's schema")?;
            format!(
                "# Fingerprints of the module's published schemas. Change a schema only compatibly:\n# keep its previous .avsc in avro/previous/ and update its line here.\nplinth.{name}.ItemCreated {}\n",
                plinth_schemas::fingerprint(&schema)
            )
        } else {
            render(text)
        };
        std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
    }
    std::fs::rename(&staging, &folder)
        .with_context(|| format!("moving the module to {}", folder.display()))?;
    let member = format!("    \"services/{name}\",\n");
    let dependency = format!("{crate_name} = {{ path = \"services/{name}\" }}\n");
    let workspace = insert_after_last(&workspace, "    \"services/", &member)
        .and_then(|w| insert_after_last(&w, "plinth-services-", &dependency))
        .context("the workspace's Cargo.toml lists no services/ member to add the module after")?;
    std::fs::write(&manifest_path, workspace)
        .with_context(|| format!("writing {}", manifest_path.display()))?;
    let cli_path = root.join("cli/Cargo.toml");
    let cli = std::fs::read_to_string(&cli_path)
        .with_context(|| format!("reading {}", cli_path.display()))?;
    let cli = insert_after_last(
        &cli,
        "plinth-services-",
        &format!("{crate_name}.workspace = true\n"),
    )
    .context("cli/Cargo.toml depends on no plinth-services- crate to add the module after")?;
    std::fs::write(&cli_path, cli).with_context(|| format!("writing {}", cli_path.display()))?;
    Ok(Scaffolded {
        folder,
        registration: format!("Arc::new(plinth_services_{name}::{camel}Module),"),
    })
}

/// `text` with `line` inserted after the last line starting with `prefix`.
fn insert_after_last(text: &str, prefix: &str, line: &str) -> Option<String> {
    let mut offset = 0;
    let mut after = None;
    for l in text.split_inclusive('\n') {
        offset += l.len();
        if l.starts_with(prefix) {
            after = Some(offset);
        }
    }
    let at = after?;
    Some(format!("{}{line}{}", &text[..at], &text[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_goes_after_the_last_of_its_kind() {
        let text = "[workspace]\nmembers = [\n    \"services/a\",\n    \"services/b\",\n    \"tests\",\n]\n";
        assert_eq!(
            insert_after_last(text, "    \"services/", "    \"services/c\",\n").unwrap(),
            "[workspace]\nmembers = [\n    \"services/a\",\n    \"services/b\",\n    \"services/c\",\n    \"tests\",\n]\n"
        );
        assert!(insert_after_last(text, "nothing", "x").is_none());
    }

    #[test]
    fn a_bad_name_or_an_existing_folder_is_refused() {
        let root = std::env::temp_dir().join(format!("plinth-scaffold-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(root.join("services/shop")).unwrap();
        for bad in [
            "Shop", "9lives", "a-b", "shop2", "", "identity", "blog", "gateway",
        ] {
            assert!(new_module(&root, bad).is_err(), "{bad}");
        }
        let error = new_module(&root, "shop").unwrap_err();
        assert!(error.to_string().contains("exists already"), "{error}");
        std::fs::remove_dir_all(root).unwrap();
    }
}
