//! The development mailbox: every message becomes `<dir>/<id>.eml`, a complete RFC 5322 file
//! that any mail client opens, and [`read_mailbox`] reads them back for tests.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::email::{self, Sender};
use crate::{Error, Message, Notifier, Result};

/// Writes each message to `<dir>/<id>.eml` (the id encoded as described on [`Message::id`]),
/// creating `dir` when missing. Files appear whole: each is written next to its final name and
/// renamed into place. Sending the same id again replaces the file.
#[derive(Clone)]
pub struct MailboxNotifier {
    dir: PathBuf,
    sender: Sender,
}

impl MailboxNotifier {
    /// A mailbox in `dir` (relative to the working directory or absolute), sending as `from`.
    pub fn new(dir: impl Into<PathBuf>, from: &str) -> Result<Self> {
        Ok(Self {
            dir: dir.into(),
            sender: Sender::parse(from)?,
        })
    }

    /// The directory the messages are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl fmt::Debug for MailboxNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailboxNotifier")
            .field("dir", &self.dir)
            .field("from", &self.sender.mailbox().to_string())
            .finish()
    }
}

#[async_trait::async_trait]
impl Notifier for MailboxNotifier {
    #[tracing::instrument(name = "mailbox.send", skip_all, fields(message_id = %message.id))]
    async fn send(&self, message: &Message) -> Result<()> {
        let bytes = email::build(&self.sender, message)?.formatted();
        let name = format!("{}.eml", email::encode_id(&message.id)?);
        let dir = self.dir.clone();
        let path = tokio::task::spawn_blocking(move || write_atomically(&dir, &name, &bytes))
            .await
            .map_err(|e| Error::Transport(format!("the mailbox writer stopped: {e}")))?
            .map_err(|(path, e)| {
                Error::Transport(format!("cannot write {}: {e}", path.display()))
            })?;
        tracing::info!(path = %path.display(), "E-mail written to the mailbox.");
        Ok(())
    }
}

/// Writes `bytes` to a hidden temporary file in `dir`, then renames it to `dir/name`.
fn write_atomically(
    dir: &Path,
    name: &str,
    bytes: &[u8],
) -> std::result::Result<PathBuf, (PathBuf, io::Error)> {
    std::fs::create_dir_all(dir).map_err(|e| (dir.to_owned(), e))?;
    let path = dir.join(name);
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    std::fs::write(&temp, bytes).map_err(|e| (temp.clone(), e))?;
    if let Err(e) = std::fs::rename(&temp, &path) {
        // Best effort: the rename's error is the one worth reporting.
        let _ = std::fs::remove_file(&temp);
        return Err((path, e));
    }
    Ok(path)
}

/// One message found in a mailbox directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The `.eml` file.
    pub path: PathBuf,
    /// The recipient's address, without the display name.
    pub to: String,
    /// The decoded subject.
    pub subject: String,
    /// The decoded plain-text body, with `\n` line endings.
    pub text: String,
}

/// The `.eml` files in `dir`, oldest first (by modification time, then by name). A directory
/// that does not exist yet is an empty mailbox.
pub fn read_mailbox(dir: &Path) -> io::Result<Vec<Received>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found: Vec<(SystemTime, Received)> = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let is_eml = path.extension().is_some_and(|e| e == "eml")
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !is_eml {
            continue;
        }
        let (modified, raw) = match std::fs::metadata(&path).and_then(|m| {
            let modified = m.modified()?;
            Ok((modified, std::fs::read(&path)?))
        }) {
            Ok(read) => read,
            // Removed since it was listed: no longer in the mailbox.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let parsed = crate::eml::parse(&raw);
        found.push((
            modified,
            Received {
                path,
                to: parsed.to,
                subject: parsed.subject,
                text: parsed.text,
            },
        ));
    }
    found.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.path.cmp(&y.path)));
    Ok(found.into_iter().map(|(_, received)| received).collect())
}

#[cfg(test)]
#[path = "mailbox_tests.rs"]
mod tests;
