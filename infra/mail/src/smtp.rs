//! Sending through an SMTP server with lettre's async transport (tokio, rustls).

use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::email::{self, Sender};
use crate::url::{MailUrl, Security, SmtpSettings};
use crate::{Error, Message, Notifier, Result};

/// How long one SMTP command may take before the send fails with [`Error::Transport`].
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends each message over a new SMTP connection (no pool: the identity service sends few
/// messages, and no background task means it can be built outside a tokio runtime).
#[derive(Clone)]
pub struct SmtpNotifier {
    settings: SmtpSettings,
    sender: Sender,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpNotifier {
    /// The notifier for an `smtp://`, `smtp+starttls://` or `smtps://` URL, sending as `from`.
    pub fn from_url(url: &str, from: &str) -> Result<Self> {
        match MailUrl::parse(url)? {
            MailUrl::Smtp(settings) => Self::new(settings, from),
            MailUrl::Mailbox(_) => Err(Error::InvalidUrl(
                "a `mailbox:` URL is not an SMTP server (use notifier_from_url or MailboxNotifier)"
                    .into(),
            )),
        }
    }

    pub(crate) fn new(settings: SmtpSettings, from: &str) -> Result<Self> {
        let sender = Sender::parse(from)?;
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned())
                .map_err(|e| Error::InvalidUrl(format!("cannot use TLS with this host: {e}")))
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port)
                .timeout(Some(COMMAND_TIMEOUT));
        builder = match settings.security {
            Security::None => builder.tls(Tls::None),
            Security::StartTls => builder.tls(Tls::Required(tls(&settings.host)?)),
            Security::Implicit => builder.tls(Tls::Wrapper(tls(&settings.host)?)),
        };
        if let Some(user) = &settings.user {
            let password = settings.password.as_ref().map(|p| p.expose().to_owned());
            builder =
                builder.credentials(Credentials::new(user.clone(), password.unwrap_or_default()));
        }
        Ok(Self {
            transport: builder.build(),
            settings,
            sender,
        })
    }
}

impl fmt::Debug for SmtpNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpNotifier")
            .field("security", &self.settings.security)
            .field("host", &self.settings.host)
            .field("port", &self.settings.port)
            .field("user", &self.settings.user)
            .field("password", &self.settings.password)
            .field("from", &self.sender.mailbox().to_string())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Notifier for SmtpNotifier {
    #[tracing::instrument(name = "smtp.send", skip_all, fields(message_id = %message.id))]
    async fn send(&self, message: &Message) -> Result<()> {
        let email = email::build(&self.sender, message)?;
        let response = self.transport.send(email).await.map_err(|e| {
            Error::Transport(format!(
                "SMTP server {}:{}: {e}",
                self.settings.host, self.settings.port
            ))
        })?;
        tracing::info!(code = %response.code(), "E-mail sent.");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_url_is_not_an_smtp_server() {
        let error = SmtpNotifier::from_url("mailbox:mail", "no-reply@localhost").unwrap_err();
        assert!(matches!(error, Error::InvalidUrl(_)), "{error:?}");
    }

    #[test]
    fn every_smtp_form_builds_without_a_runtime() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp+starttls://user:pw@mail.example.com",
            "smtps://user@[::1]",
        ] {
            SmtpNotifier::from_url(url, "Plinth <no-reply@localhost>").unwrap();
        }
    }

    #[test]
    fn debug_shows_where_it_sends_but_not_the_password() {
        let notifier =
            SmtpNotifier::from_url("smtps://mailer:p%40ss@mail.example.com:2465", "a@b.test")
                .unwrap();
        let debug = format!("{notifier:?}");
        assert!(
            debug.contains("mail.example.com") && debug.contains("2465"),
            "{debug}"
        );
        assert!(
            debug.contains("Implicit") && debug.contains("mailer"),
            "{debug}"
        );
        assert!(
            !debug.contains("p@ss") && !debug.contains("p%40ss"),
            "{debug}"
        );
    }
}
