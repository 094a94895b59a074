//! The /docs page in a real browser: headless Chromium (Debian's, `infra/scripts/chromium.sh`)
//! opens it, finds the Blog's and identity's operations, and registers an account through its
//! "Try it out" — which must reach the gateway and be stored. A screenshot of the page is kept
//! in `.plinth/docs-page.png`.

use std::path::PathBuf;
use std::process::Command;

use plinth_tests::World;

#[tokio::test]
async fn the_docs_page_renders_every_module_and_registers_through_try_it_out() {
    let world = World::start().await;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let screenshot = root.join(".plinth/docs-page.png");
    std::fs::create_dir_all(screenshot.parent().unwrap()).unwrap();
    let script = root.join("tests/browser/docs_page.py");
    let (url, path) = (world.gateway_url.clone(), screenshot.clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(plinth_tests::env("PLINTH_PYTHON"))
            .arg(script)
            .arg(url)
            .arg(path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the browser session failed (screenshot in {}):\n{}{}",
        screenshot.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let email = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(email.ends_with("@example.org"), "{email}");
    let client = world.pool.get().await.unwrap();
    let stored: i64 = client
        .query_one(
            "SELECT count(*) FROM events WHERE event_type = 'UserRegistered' AND payload::text LIKE '%' || $1 || '%'",
            &[&email],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        stored, 1,
        "the page's registration of {email} is in the store"
    );
    assert!(screenshot.exists());
}
