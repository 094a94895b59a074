//! The mail URL: `smtp://`, `smtp+starttls://`, `smtps://` or `mailbox:`.
//!
//! Parsed here rather than by lettre's `AsyncSmtpTransport::from_url` because the schemes differ
//! (`smtp+starttls`, `mailbox`), and so that errors say which part is wrong without ever
//! repeating the password.

use std::fmt;
use std::path::PathBuf;

use crate::{Error, Result};

/// A parsed mail URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MailUrl {
    Smtp(SmtpSettings),
    Mailbox(PathBuf),
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    /// `smtp://`: plain text, for a relay on the same host or network.
    None,
    /// `smtp+starttls://`: STARTTLS is required.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

/// Where and how to reach the SMTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SmtpSettings {
    pub(crate) security: Security,
    /// Host name or IP address (IPv6 without brackets).
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: Option<String>,
    pub(crate) password: Option<Secret>,
}

/// A password: compared and cloned like a string, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidUrl(reason.into())
}

impl MailUrl {
    pub(crate) fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        if let Some(rest) = url.strip_prefix("mailbox:") {
            // `mailbox:///abs/dir` is accepted as well as `mailbox:/abs/dir`.
            let dir = rest
                .strip_prefix("//")
                .filter(|d| d.starts_with('/'))
                .unwrap_or(rest);
            if dir.is_empty() {
                return Err(invalid(
                    "a mailbox URL needs a directory, e.g. `mailbox:.plinth/mail`",
                ));
            }
            return Ok(Self::Mailbox(PathBuf::from(dir)));
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(invalid(
                "expected `smtp://`, `smtp+starttls://`, `smtps://` or `mailbox:<dir>`",
            ));
        };
        let (security, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "smtp" => (Security::None, 25),
            "smtp+starttls" => (Security::StartTls, 587),
            "smtps" => (Security::Implicit, 465),
            // Echoed only when it looks like a scheme, so a mistyped secret is never repeated.
            other
                if other
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) =>
            {
                return Err(invalid(format!(
                    "unknown scheme `{other}` (expected smtp, smtp+starttls, smtps or mailbox)"
                )));
            }
            _ => {
                return Err(invalid(
                    "unknown scheme (expected smtp, smtp+starttls, smtps or mailbox)",
                ));
            }
        };
        Ok(Self::Smtp(parse_authority(rest, security, default_port)?))
    }
}

fn parse_authority(rest: &str, security: Security, default_port: u16) -> Result<SmtpSettings> {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !tail.is_empty() && tail != "/" {
        return Err(invalid(
            "an SMTP URL takes no path, query or fragment after the host",
        ));
    }
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => (Some(userinfo), host_port),
        None => (None, authority),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(userinfo) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            let user = percent_decode(user).ok_or_else(|| {
                invalid("the user name has an invalid percent-encoding (use %XX for @ : / and %)")
            })?;
            if user.is_empty() {
                return Err(invalid("the user name before `@` is empty"));
            }
            let password = password
                .map(|p| {
                    percent_decode(p).ok_or_else(|| {
                        invalid("the password has an invalid percent-encoding (use %XX for @ : / and %)")
                    })
                })
                .transpose()?;
            (Some(user), password.map(Secret))
        }
    };
    let (host, port) = split_host_port(host_port)?;
    let port = match port {
        None => default_port,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port != 0 => port,
            // Echoed only when numeric: `smtp://user:secret` (no host) must not repeat `secret`.
            _ if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(invalid(format!(
                    "invalid port `{port}` (expected 1 to 65535)"
                )));
            }
            _ => return Err(invalid("the port after the host is not a number")),
        },
    };
    Ok(SmtpSettings {
        security,
        host,
        port,
        user,
        password,
    })
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(host_port: &str) -> Result<(String, Option<&str>)> {
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (v6, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid("an IPv6 host is missing its closing `]`"))?;
        if v6.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(invalid("the host in `[…]` is not an IPv6 address"));
        }
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| invalid("expected `:port` after `]`"))?,
            ),
        };
        return Ok((v6.to_owned(), port));
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(invalid(
            "the host is missing, e.g. `smtp://mail.example.com:587`",
        ));
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(invalid(
            "the host may only contain letters, digits, `-` and `.` (or be an `[IPv6]` address)",
        ));
    }
    Ok((host.to_ascii_lowercase(), port))
}

/// Decodes `%XX` escapes; `None` for a bad escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
#[path = "url_tests.rs"]
mod tests;
