use std::path::PathBuf;

use super::{MailUrl, Secret, Security, SmtpSettings};
use crate::Error;

fn smtp(url: &str) -> SmtpSettings {
    match MailUrl::parse(url) {
        Ok(MailUrl::Smtp(settings)) => settings,
        other => panic!("{url} should be an SMTP URL, got {other:?}"),
    }
}

fn error(url: &str) -> String {
    match MailUrl::parse(url) {
        Err(Error::InvalidUrl(reason)) => reason,
        other => panic!("{url} should be an invalid URL, got {other:?}"),
    }
}

#[test]
fn plain_smtp_defaults_to_port_25_without_credentials() {
    assert_eq!(
        smtp("smtp://localhost"),
        SmtpSettings {
            security: Security::None,
            host: "localhost".into(),
            port: 25,
            user: None,
            password: None
        }
    );
    assert_eq!(smtp("smtp://127.0.0.1:2525/").port, 2525);
}

#[test]
fn starttls_defaults_to_port_587_and_implicit_tls_to_465() {
    let starttls = smtp("smtp+starttls://mail.example.com");
    assert_eq!(
        (starttls.security, starttls.port),
        (Security::StartTls, 587)
    );
    let implicit = smtp("SMTPS://Mail.Example.com");
    assert_eq!(
        (implicit.security, implicit.port),
        (Security::Implicit, 465)
    );
    assert_eq!(implicit.host, "mail.example.com");
}

#[test]
fn user_and_password_are_percent_decoded() {
    let settings = smtp("smtp+starttls://ada%40example.com:p%3Ass%2Fw%25rd@mail.example.com:2587");
    assert_eq!(settings.user.as_deref(), Some("ada@example.com"));
    assert_eq!(settings.password, Some(Secret("p:ss/w%rd".into())));
    assert_eq!(settings.port, 2587);
}

#[test]
fn a_user_without_a_password_is_allowed() {
    let settings = smtp("smtps://apikey@mail.example.com");
    assert_eq!(settings.user.as_deref(), Some("apikey"));
    assert_eq!(settings.password, None);
}

#[test]
fn the_password_never_appears_in_debug_output() {
    let settings = smtp("smtps://mailer:hunter2@mail.example.com");
    let debug = format!("{settings:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(debug.contains("mailer"), "{debug}");
}

#[test]
fn ipv6_hosts_are_bracketed_in_the_url_only() {
    let settings = smtp("smtp://[::1]:2525");
    assert_eq!((settings.host.as_str(), settings.port), ("::1", 2525));
    assert_eq!(smtp("smtp://[::1]").port, 25);
}

#[test]
fn mailbox_urls_name_a_relative_or_absolute_directory() {
    assert_eq!(
        MailUrl::parse("mailbox:.plinth/mail").unwrap(),
        MailUrl::Mailbox(PathBuf::from(".plinth/mail"))
    );
    assert_eq!(
        MailUrl::parse("mailbox:/var/mail/plinth").unwrap(),
        MailUrl::Mailbox(PathBuf::from("/var/mail/plinth"))
    );
    assert_eq!(
        MailUrl::parse("mailbox:///var/mail/plinth").unwrap(),
        MailUrl::Mailbox(PathBuf::from("/var/mail/plinth"))
    );
}

#[test]
fn errors_say_what_is_wrong() {
    assert!(error("mailbox:").contains("needs a directory"));
    assert!(error("mail.example.com").contains("expected `smtp://`"));
    assert!(error("http://mail.example.com").contains("unknown scheme `http`"));
    assert!(error("smtp://").contains("host is missing"));
    assert!(error("smtp://user:pw@:25").contains("host is missing"));
    assert!(error("smtp://mail.example.com:smtp").contains("port after the host is not a number"));
    assert!(error("smtp://mail.example.com:0").contains("invalid port `0`"));
    assert!(error("smtp://mail.example.com:70000").contains("invalid port `70000`"));
    assert!(error("smtp://mail_server").contains("host may only contain"));
    assert!(error("smtp://[::1").contains("closing `]`"));
    assert!(error("smtp://[nope]").contains("not an IPv6 address"));
    assert!(error("smtp://[::1]x").contains("expected `:port` after `]`"));
    assert!(error("smtp://:pw@mail.example.com").contains("user name before `@` is empty"));
    assert!(error("smtp://mail.example.com/helo?tls=required").contains("no path, query"));
}

#[test]
fn errors_never_repeat_the_password() {
    for url in [
        "smtp://user:hunter2%zz@mail.example.com",
        "smtp://user:hunter2@mail.example.com:bad",
        "smtp://user:hunter2@bad_host",
        "smtp://user:hunter2@mail.example.com/path",
        "smtp://user:hunter2@",
        "smtp://user:hunter2",
        "smtp://user:hunter2:x",
        "us:hunter2@mail://x",
    ] {
        let reason = error(url);
        assert!(!reason.contains("hunter2"), "{url}: {reason}");
    }
    assert!(error("smtp://user:hunter2%zz@mail.example.com").contains("password"));
}
