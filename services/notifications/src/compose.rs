//! The mails' wording.

use plinth_infra_mail::Message;
use plinth_services_identity::{MailPurpose, MailToken};

/// The mail carrying `token`, identified by the event that caused it.
pub(crate) fn message(id: String, purpose: MailPurpose, token: &MailToken) -> Message {
    let expires = token.expires_at.format("%Y-%m-%d %H:%M UTC");
    let (subject, text) = match purpose {
        MailPurpose::VerifyEmail => (
            "Verify your e-mail address",
            format!(
                "Hello {name},\n\nplease confirm that {email} is your address. Your verification token:\n\n{token}\n\nSend it with POST /v1/auth/verify-email {{\"token\": \"...\"}}.\nIt works once and expires at {expires}.\n\nIf you did not create an account, ignore this message.\n",
                name = token.display_name,
                email = token.email,
                token = token.token,
            ),
        ),
        MailPurpose::ResetPassword => (
            "Reset your password",
            format!(
                "Hello {name},\n\nsomeone asked to reset the password of the account {email}. Your reset token:\n\n{token}\n\nSend it with POST /v1/auth/password-reset/complete {{\"token\": \"...\", \"new_password\": \"...\"}}.\nIt works once and expires at {expires}. Resetting ends every session of the account.\n\nIf you did not ask for this, ignore this message: your password stays as it is.\n",
                name = token.display_name,
                email = token.email,
                token = token.token,
            ),
        ),
    };
    Message {
        id,
        to: token.email.clone(),
        to_name: Some(token.display_name.clone()),
        subject: subject.to_owned(),
        text,
    }
}
