//! The RFC 5322 message both adapters deliver, built with lettre.

use std::fmt::Write as _;

use lettre::Address;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, SinglePart};

use crate::{Error, Message, Result};

/// Longest encoded id: keeps `<id>.eml` and the Message-ID well under common limits.
const MAX_ID_LEN: usize = 200;

/// The parsed sender: its mailbox and the domain Message-IDs are minted in.
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    mailbox: Mailbox,
}

impl Sender {
    pub(crate) fn parse(from: &str) -> Result<Self> {
        let mailbox = from.parse::<Mailbox>().map_err(|e| {
            Error::InvalidAddress(format!(
                "sender `{from}` is not a mailbox like `Plinth <no-reply@example.com>` ({e})"
            ))
        })?;
        Ok(Self { mailbox })
    }

    pub(crate) fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }
}

/// The id as used in the Message-ID and the mailbox file name: ASCII letters, digits, `-` and
/// `_` as they are, every other byte as `%XX`. Different ids never share an encoding.
pub(crate) fn encode_id(id: &str) -> Result<String> {
    if id.is_empty() {
        return Err(Error::Build("the message id is empty".into()));
    }
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    if out.len() > MAX_ID_LEN {
        return Err(Error::Build(format!(
            "the message id is too long ({} characters encoded, at most {MAX_ID_LEN})",
            out.len()
        )));
    }
    Ok(out)
}

/// `<{encoded id}@{domain of the sender}>`.
pub(crate) fn message_id(sender: &Sender, id: &str) -> Result<String> {
    Ok(format!(
        "<{}@{}>",
        encode_id(id)?,
        sender.mailbox.email.domain()
    ))
}

/// Builds the e-mail: one `text/plain; charset=utf-8` part, `7bit` whenever the text allows it
/// (ASCII, lines under 998 characters) so the body is readable as it is in the `.eml` file.
pub(crate) fn build(sender: &Sender, message: &Message) -> Result<lettre::Message> {
    let address = message.to.trim().parse::<Address>().map_err(|e| {
        Error::InvalidAddress(format!(
            "recipient `{}` is not an e-mail address ({e})",
            message.to
        ))
    })?;
    let to = Mailbox::new(message.to_name.as_deref().map(single_line), address);
    let body =
        match Body::new_with_encoding(message.text.clone(), ContentTransferEncoding::SevenBit) {
            Ok(body) => body,
            Err(_) => Body::new(message.text.clone()),
        };
    let part = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(body);
    lettre::Message::builder()
        .message_id(Some(message_id(sender, &message.id)?))
        .from(sender.mailbox.clone())
        .to(to)
        .subject(single_line(&message.subject))
        .singlepart(part)
        .map_err(|e| Error::Build(e.to_string()))
}

/// Headers are one line: line breaks become spaces, so no text can add a header.
fn single_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender() -> Sender {
        Sender::parse("Plinth <no-reply@plinth.test>").unwrap()
    }

    fn message(text: &str) -> Message {
        Message {
            id: "0190c6b2-7a4e-7cc1-9a0b-5f2d1e3c4b5a".into(),
            to: "ada@example.com".into(),
            to_name: Some("Ada Lovelace".into()),
            subject: "Confirm your e-mail".into(),
            text: text.into(),
        }
    }

    fn formatted(message: &Message) -> String {
        String::from_utf8(build(&sender(), message).unwrap().formatted()).unwrap()
    }

    #[test]
    fn an_ascii_body_is_sent_as_7bit_and_verbatim() {
        let eml = formatted(&message("Hello Ada,\n\nyour code is ABC-123=xyz.\n"));
        assert!(eml.contains("Content-Transfer-Encoding: 7bit\r\n"), "{eml}");
        assert!(
            eml.contains("\r\n\r\nHello Ada,\r\n\r\nyour code is ABC-123=xyz.\r\n"),
            "{eml}"
        );
    }

    #[test]
    fn the_message_id_is_the_id_at_the_senders_domain() {
        let eml = formatted(&message("hi"));
        assert!(
            eml.contains("Message-ID: <0190c6b2-7a4e-7cc1-9a0b-5f2d1e3c4b5a@plinth.test>\r\n"),
            "{eml}"
        );
    }

    #[test]
    fn ids_are_encoded_so_that_they_are_safe_and_distinct() {
        assert_eq!(encode_id("abc_DEF-123").unwrap(), "abc_DEF-123");
        assert_eq!(encode_id("../x y").unwrap(), "%2E%2E%2Fx%20y");
        assert_ne!(encode_id("a/b").unwrap(), encode_id("a_b").unwrap());
        assert!(matches!(encode_id(""), Err(Error::Build(_))));
        assert!(matches!(encode_id(&"x".repeat(201)), Err(Error::Build(_))));
    }

    #[test]
    fn line_breaks_cannot_inject_headers() {
        let mut message = message("hi");
        message.subject = "Hi\r\nBcc: eve@example.com".into();
        message.to_name = Some("Ada\nBcc: eve@example.com".into());
        let eml = formatted(&message);
        assert!(!eml.contains("\r\nBcc:"), "{eml}");
    }

    #[test]
    fn an_invalid_recipient_is_an_invalid_address() {
        let mut message = message("hi");
        message.to = "ada at example.com".into();
        let error = build(&sender(), &message).unwrap_err();
        assert!(matches!(error, Error::InvalidAddress(_)), "{error:?}");
        assert!(error.to_string().contains("ada at example.com"), "{error}");
    }

    /// Every address registration takes (`Email::parse`) must be one this mailer can build a
    /// message to; an address with a character the mailer refuses must be refused at
    /// registration, or its verification mail fails for ever.
    #[test]
    fn every_address_registration_accepts_is_one_the_mailer_sends_to() {
        use plinth_domain_identity::Email;
        let mut candidates: Vec<String> = (0x20_u8..0x7f)
            .map(char::from)
            .flat_map(|c| {
                [
                    format!("a{c}b@example.org"),
                    format!("{c}ab@example.org"),
                    format!("ab@exa{c}mple.org"),
                ]
            })
            .collect();
        candidates.extend(
            [
                "ada@bücher.example",
                "adä@example.org",
                "a..b@example.org",
                "\"a b\"@example.org",
                "ada@[127.0.0.1]",
            ]
            .map(str::to_owned),
        );
        for address in candidates {
            let sendable = build(
                &sender(),
                &Message {
                    to: address.clone(),
                    ..message("hi")
                },
            )
            .is_ok();
            if let Ok(email) = Email::parse(&address) {
                let built = build(
                    &sender(),
                    &Message {
                        to: email.as_str().to_owned(),
                        ..message("hi")
                    },
                );
                assert!(
                    built.is_ok(),
                    "registration took {address:?}, the mailer refuses it: {built:?}"
                );
            } else if sendable && !address.contains([' ', '"', '@']) {
                // Refusing more than the mailer does is allowed only for what needs quoting.
                panic!("{address:?} is refused at registration but the mailer sends to it");
            }
        }
    }
}
