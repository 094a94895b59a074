//! The mails' wording. Lines stay under 76 characters so the mail travels as 7bit and reads
//! as it is in the development mailbox's `.eml` files.

use plinth_infra_mail::Message;
use plinth_services_identity::{MailPurpose, MailToken};

/// The mail carrying `token`, identified by the event that caused it.
pub(crate) fn message(id: String, purpose: MailPurpose, token: &MailToken) -> Message {
    let expires = token.expires_at.format("%Y-%m-%d %H:%M UTC");
    let (subject, text) = match purpose {
        MailPurpose::VerifyEmail => (
            "Verify your e-mail address",
            format!(
                "Hello {name},\n\nplease confirm that {email} is your address.\nYour verification token:\n\n{token}\n\nSend it with POST /v1/auth/verify-email {{\"token\": \"...\"}}.\nIt works once and expires at {expires}.\n\nIf you did not create an account, ignore this message.\n",
                name = token.display_name,
                email = token.email,
                token = token.token,
            ),
        ),
        MailPurpose::ResetPassword => (
            "Reset your password",
            format!(
                "Hello {name},\n\nsomeone asked to reset the password of the account {email}.\nYour reset token:\n\n{token}\n\nSend it with POST /v1/auth/password-reset/complete\n{{\"token\": \"...\", \"new_password\": \"...\"}}.\nIt works once and expires at {expires}.\nResetting ends every session of the account.\n\nIf you did not ask for this, ignore this message: your password stays\nas it is.\n",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_short_enough_for_7bit_with_a_long_address() {
        let token = MailToken {
            token: format!("{}.{}", "0".repeat(22), "x".repeat(43)),
            email: format!("{}@example.org", "a".repeat(40)),
            display_name: "Ada".into(),
            expires_at: chrono::Utc::now(),
        };
        for purpose in [MailPurpose::VerifyEmail, MailPurpose::ResetPassword] {
            let mail = message("id".into(), purpose, &token);
            for line in mail.text.lines().filter(|l| !l.contains('@')) {
                // lettre sends 7bit only when every line is under 76 characters.
                assert!(line.len() < 76, "{line:?}");
            }
            assert!(mail.text.contains(&token.token));
        }
    }
}
