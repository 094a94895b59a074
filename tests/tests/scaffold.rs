//! `plinth modules new` writes a module that builds and whose tests pass once its one
//! registration line is added — checked in a copy of this workspace, with its own target
//! folder (`target/scaffold`), so the first run compiles the module's dependencies.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every file git tracks or would track in `root`, copied into `to`.
fn copy_workspace(root: &Path, to: &Path) {
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(listed.status.success(), "git ls-files failed");
    for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let relative = Path::new(std::str::from_utf8(file).unwrap());
        let from = root.join(relative);
        if !from.is_file() {
            continue;
        }
        let target = to.join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&from, &target).unwrap();
    }
}

fn cargo(workspace: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", workspace_root().join("target/scaffold"))
        // A one-off build: incremental caches would double its size on disk.
        .env("CARGO_INCREMENTAL", "0")
        .output()
        .unwrap();
    (
        output.status.success(),
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[test]
fn a_generated_module_builds_and_passes_its_tests_once_registered() {
    let copy = tempfile::tempdir().unwrap();
    copy_workspace(&workspace_root(), copy.path());
    let made = Command::new(plinth_tests::env("PLINTH_BIN"))
        .args(["modules", "new", "shelf", "--root"])
        .arg(copy.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&made.stdout).into_owned();
    assert!(
        made.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let line = "Arc::new(plinth_services_shelf::ShelfModule),";
    assert!(said.contains(line), "{said}");
    for file in [
        "module.toml",
        "avro/ItemCreated.avsc",
        "avro/published.lock",
        "src/http.rs",
    ] {
        assert!(
            copy.path().join("services/shelf").join(file).is_file(),
            "{file}"
        );
    }

    // The one registration line, as its author would add it.
    let registry = copy.path().join("cli/src/modules.rs");
    let source = std::fs::read_to_string(&registry).unwrap();
    let anchor = "        Arc::new(plinth_services_blog::BlogModule),\n";
    assert!(source.contains(anchor));
    std::fs::write(
        &registry,
        source.replace(anchor, &format!("{anchor}        {line}\n")),
    )
    .unwrap();

    let (passed, output) = cargo(copy.path(), &["test", "-p", "plinth-services-shelf"]);
    assert!(passed, "{output}");
    assert!(
        output.contains("an_item_is_created_once ... ok"),
        "{output}"
    );
    assert!(
        output
            .contains("the_schemas_are_locked_and_compatible_with_their_previous_versions ... ok"),
        "{output}"
    );
    let (built, output) = cargo(copy.path(), &["check", "-p", "plinth-cli"]);
    assert!(built, "{output}");

    // A second module of the same name is refused, and the workspace is left as it was.
    let again = Command::new(plinth_tests::env("PLINTH_BIN"))
        .args(["modules", "new", "shelf", "--root"])
        .arg(copy.path())
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}
