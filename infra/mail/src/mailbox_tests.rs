use std::path::{Path, PathBuf};

use super::{MailboxNotifier, read_mailbox};
use crate::{Message, Notifier};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("plinth-mail-{}", uuid::Uuid::new_v4().simple())))
    }

    /// A mailbox directory inside, not created yet.
    fn mailbox(&self) -> PathBuf {
        self.0.join("inbox")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn notifier(dir: &Path) -> MailboxNotifier {
    MailboxNotifier::new(dir, "Plinth <no-reply@localhost>").unwrap()
}

fn message(id: &str, text: &str) -> Message {
    Message {
        id: id.into(),
        to: "ada@example.com".into(),
        to_name: Some("Ada Lovelace".into()),
        subject: "Confirm your e-mail".into(),
        text: text.into(),
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_sent_message_is_read_back_from_the_mailbox() {
    let temp = TempDir::new();
    let text = "Hello Ada,\n\nyour confirmation code is TOKEN-7f3a9.\n";
    notifier(&temp.mailbox())
        .send(&message("evt-1", text))
        .await
        .unwrap();

    let inbox = read_mailbox(&temp.mailbox()).unwrap();
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0].path, temp.mailbox().join("evt-1.eml"));
    assert_eq!(inbox[0].to, "ada@example.com");
    assert_eq!(inbox[0].subject, "Confirm your e-mail");
    assert_eq!(inbox[0].text, text);

    let raw = std::fs::read_to_string(&inbox[0].path).unwrap();
    assert!(raw.contains("TOKEN-7f3a9"), "{raw}");
    assert!(raw.contains("Message-ID: <evt-1@localhost>\r\n"), "{raw}");
    assert!(
        raw.contains("To: \"Ada Lovelace\" <ada@example.com>\r\n"),
        "{raw}"
    );
}

#[tokio::test]
async fn sending_the_same_id_twice_leaves_one_file() {
    let temp = TempDir::new();
    let mailbox = notifier(&temp.mailbox());
    mailbox.send(&message("evt-1", "first")).await.unwrap();
    mailbox.send(&message("evt-1", "second")).await.unwrap();

    assert_eq!(files(&temp.mailbox()), ["evt-1.eml"]);
    let inbox = read_mailbox(&temp.mailbox()).unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].text, "second");
}

#[tokio::test]
async fn non_ascii_messages_round_trip() {
    let temp = TempDir::new();
    let mut german = message("evt-ü", "Grüße, Ada — ✓\nZeile zwei\n");
    german.subject = "Bestätigen Sie Ihre E-Mail-Adresse — bitte heute noch, danke sehr".into();
    notifier(&temp.mailbox()).send(&german).await.unwrap();

    let inbox = read_mailbox(&temp.mailbox()).unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].path, temp.mailbox().join("evt-%C3%BC.eml"));
    assert_eq!(inbox[0].subject, german.subject);
    assert_eq!(inbox[0].text, german.text);
}

#[tokio::test]
async fn the_mailbox_lists_messages_oldest_first_and_ignores_other_files() {
    let temp = TempDir::new();
    let mailbox = notifier(&temp.mailbox());
    for id in ["b", "a", "c"] {
        mailbox.send(&message(id, id)).await.unwrap();
    }
    std::fs::write(temp.mailbox().join("notes.txt"), "not mail").unwrap();
    std::fs::write(temp.mailbox().join(".x.eml.1.tmp"), "half written").unwrap();

    let texts: Vec<String> = read_mailbox(&temp.mailbox())
        .unwrap()
        .into_iter()
        .map(|r| r.text)
        .collect();
    // Same modification time (coarse clocks) falls back to the name.
    let mut expected = texts.clone();
    expected.sort_by_key(|text| {
        let path = temp.mailbox().join(format!("{text}.eml"));
        (std::fs::metadata(&path).unwrap().modified().unwrap(), path)
    });
    assert_eq!(texts.len(), 3);
    assert_eq!(texts, expected);
}

#[test]
fn a_missing_mailbox_directory_is_empty() {
    let temp = TempDir::new();
    assert!(read_mailbox(&temp.mailbox()).unwrap().is_empty());
}

#[tokio::test]
async fn an_unwritable_mailbox_is_a_transport_error() {
    let temp = TempDir::new();
    std::fs::create_dir_all(&temp.0).unwrap();
    let file = temp.0.join("a-file");
    std::fs::write(&file, "").unwrap();
    let error = notifier(&file.join("inbox"))
        .send(&message("x", "x"))
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert!(error.to_string().contains("a-file"), "{error}");
}
