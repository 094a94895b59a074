//! E-mail for Plinth: the [`Notifier`] port the identity service sends its messages through, and
//! its two adapters.
//!
//! Start with [`notifier_from_url`]: it reads the configured mail URL and returns the adapter.
//!
//! | URL | adapter |
//! | --- | --- |
//! | `smtp://[user[:pass]@]host[:port]` | [`SmtpNotifier`], plain text (port 25) |
//! | `smtp+starttls://…` | [`SmtpNotifier`], STARTTLS required (port 587) |
//! | `smtps://…` | [`SmtpNotifier`], implicit TLS (port 465) |
//! | `mailbox:<dir>` | [`MailboxNotifier`], one `.eml` file per message in `<dir>` |
//!
//! `smtp://` is for a relay on the same host or a trusted network: nothing is encrypted, not
//! even a password in the URL. Userinfo is percent-decoded (`%40` for `@`); no `Debug` output or
//! error of this crate shows the password.
//!
//! The mailbox is for development and tests: [`read_mailbox`] reads back what it wrote. Both
//! adapters derive the `Message-ID` from [`Message::id`], so a message that is sent again after a
//! retry is one file in the mailbox and one message to clients that de-duplicate.
//!
//! Files: `url.rs` parses the URL, `email.rs` builds the RFC 5322 message both adapters send,
//! `smtp.rs` and `mailbox.rs` are the adapters, `eml.rs` parses the mailbox's files.

mod email;
mod eml;
mod mailbox;
mod smtp;
mod url;

use std::sync::Arc;

pub use mailbox::{MailboxNotifier, Received, read_mailbox};
pub use smtp::SmtpNotifier;

/// One e-mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Stable id of this notification (e.g. the id of the event that caused it). Used as the
    /// Message-ID (`<{id}@{domain of from}>`) and as the mailbox file name, so sending the same
    /// message twice yields one file / lets receiving clients de-duplicate.
    ///
    /// Letters, digits, `-` and `_` are used as they are; any other byte is written as `%XX`
    /// so the id stays a valid Message-ID and file name.
    pub id: String,
    /// The recipient's e-mail address, e.g. `ada@example.com`.
    pub to: String,
    /// The recipient's display name, if known.
    pub to_name: Option<String>,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
}

/// Sends e-mail. Held as `Arc<dyn Notifier>` by the services that notify users.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// Sends `message`. Sending the same message (same [`Message::id`]) again is safe.
    ///
    /// [`Error::Transport`] is worth retrying; the other errors will fail again.
    async fn send(&self, message: &Message) -> Result<(), Error>;
}

/// What can go wrong when configuring or sending e-mail. Messages never contain passwords.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The mail URL cannot be used.
    #[error("invalid mail URL: {0}")]
    InvalidUrl(String),
    /// The sender or a recipient is not a valid e-mail address or mailbox.
    #[error("invalid e-mail address: {0}")]
    InvalidAddress(String),
    /// The message cannot be turned into an e-mail.
    #[error("cannot build the e-mail: {0}")]
    Build(String),
    /// The mail server or the mailbox directory did not take the message; worth retrying.
    #[error("cannot deliver the e-mail (worth retrying): {0}")]
    Transport(String),
}

impl Error {
    /// Whether sending again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transport(_))
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The notifier for a mail URL (see the [crate] docs for the forms), sending as `from`, a mailbox
/// like `Plinth <no-reply@localhost>`.
///
/// Needs no async runtime: SMTP connections are opened when a message is sent.
pub fn notifier_from_url(url: &str, from: &str) -> Result<Arc<dyn Notifier>> {
    Ok(match url::MailUrl::parse(url)? {
        url::MailUrl::Smtp(settings) => Arc::new(SmtpNotifier::new(settings, from)?),
        url::MailUrl::Mailbox(dir) => Arc::new(MailboxNotifier::new(dir, from)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_url_gives_a_mailbox_notifier() {
        let notifier = notifier_from_url("mailbox:.plinth/mail", "Plinth <no-reply@localhost>")
            .expect("a valid URL");
        let debug = format!("{notifier:?}");
        assert!(debug.starts_with("MailboxNotifier"), "{debug}");
        assert!(debug.contains(".plinth/mail"), "{debug}");
    }

    #[test]
    fn an_smtp_url_gives_an_smtp_notifier_without_the_password_in_debug() {
        let notifier = notifier_from_url(
            "smtps://mailer:s3cr%40t@mail.example.com",
            "Plinth <no-reply@example.com>",
        )
        .expect("a valid URL");
        let debug = format!("{notifier:?}");
        assert!(debug.starts_with("SmtpNotifier"), "{debug}");
        assert!(debug.contains("mail.example.com"), "{debug}");
        assert!(!debug.contains("s3cr"), "{debug}");
    }

    #[test]
    fn an_invalid_sender_is_an_invalid_address() {
        let error = notifier_from_url("mailbox:mail", "Plinth <not an address>").unwrap_err();
        assert!(matches!(error, Error::InvalidAddress(_)), "{error:?}");
        assert!(error.to_string().contains("not an address"), "{error}");
    }

    #[test]
    fn only_transport_errors_are_retryable() {
        assert!(Error::Transport("connection refused".into()).is_retryable());
        assert!(!Error::Build("empty id".into()).is_retryable());
        assert!(!Error::InvalidUrl("no host".into()).is_retryable());
        assert!(!Error::InvalidAddress("x".into()).is_retryable());
    }
}
