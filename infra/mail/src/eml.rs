//! Just enough RFC 5322 / MIME parsing to read back the single-part messages this crate writes:
//! unfolded headers, RFC 2047 encoded words, and 7bit, quoted-printable or base64 bodies.

/// The parts of an `.eml` file a test wants to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// The first address in `To`, without the display name.
    pub(crate) to: String,
    pub(crate) subject: String,
    /// The decoded body with `\n` line endings.
    pub(crate) text: String,
}

pub(crate) fn parse(raw: &[u8]) -> Parsed {
    let raw = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    // The line break that ends the last line belongs to the format, not to the text.
    let body = body.strip_suffix('\n').unwrap_or(body);
    let headers = unfold(head);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    };
    let to = header("To");
    let to = match (to.find('<'), to.find('>')) {
        (Some(start), Some(end)) if start < end => &to[start + 1..end],
        _ => to.split(',').next().unwrap_or_default(),
    };
    let text = match header("Content-Transfer-Encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "quoted-printable" => decode_quoted_printable(body),
        "base64" => String::from_utf8_lossy(&decode_base64(body).unwrap_or_default()).into_owned(),
        _ => body.to_owned(),
    };
    Parsed {
        to: to.trim().to_owned(),
        subject: decode_words(header("Subject")),
        text: text.replace("\r\n", "\n"),
    }
}

/// `(name, value)` pairs with continuation lines joined to the header they continue.
fn unfold(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim_start().to_owned()));
        }
    }
    for (_, value) in &mut headers {
        *value = value.trim_end().to_owned();
    }
    headers
}

/// Decodes RFC 2047 `=?charset?B|Q?text?=` words; whitespace between two words is dropped.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some((start, end, decoded)) = next_word(rest) {
        let between = &rest[..start];
        if !(after_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        out.push_str(&decoded);
        after_word = true;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The first decodable encoded word in `s`: its start, end and text.
fn next_word(s: &str) -> Option<(usize, usize, String)> {
    let mut from = 0;
    while let Some(offset) = s[from..].find("=?") {
        let start = from + offset;
        if let Some((len, text)) = decode_word(&s[start + 2..]) {
            return Some((start, start + 2 + len, text));
        }
        from = start + 2;
    }
    None
}

/// Decodes `charset?E?text?=` (after the `=?`); returns the length consumed and the text.
fn decode_word(s: &str) -> Option<(usize, String)> {
    let (charset, rest) = s.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let (text, _) = rest.split_once("?=")?;
    if text.contains(char::is_whitespace) {
        return None;
    }
    let len = charset.len() + 1 + encoding.len() + 1 + text.len() + 2;
    let charset = charset
        .split('*')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !matches!(charset.as_str(), "utf-8" | "us-ascii") {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => decode_base64(text)?,
        "Q" | "q" => decode_q(text)?,
        _ => return None,
    };
    Some((len, String::from_utf8(bytes).ok()?))
}

fn decode_q(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        match byte {
            b'_' => out.push(b' '),
            b'=' => out.push(hex_pair(bytes.next()?, bytes.next()?)?),
            other => out.push(other),
        }
    }
    Some(out)
}

/// Quoted-printable body: soft line breaks (`=` at the end of a line) removed, `=XX` decoded.
fn decode_quoted_printable(body: &str) -> String {
    let mut out = Vec::with_capacity(body.len());
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let (Some(&a), Some(&b)) = (bytes.get(i + 1), bytes.get(i + 2))
                && let Some(byte) = hex_pair(a, b)
            {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_pair(a: u8, b: u8) -> Option<u8> {
    let digit = |c: u8| char::from(c).to_digit(16);
    Some((digit(a)? * 16 + digit(b)?) as u8)
}

/// Standard base64, whitespace ignored, decoding stops at `=`.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_headers_and_encoded_words_are_decoded() {
        let raw = b"To: \"Ada L.\" <ada@example.com>\r\nSubject: =?utf-8?b?R3LDvMOfZQ==?=\r\n \
            =?utf-8?q?_=E2=80=94_ok?= done\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHi\r\nthere";
        let parsed = parse(raw);
        assert_eq!(parsed.to, "ada@example.com");
        assert_eq!(parsed.subject, "Grüße — ok done");
        assert_eq!(parsed.text, "Hi\nthere");
    }

    #[test]
    fn quoted_printable_and_base64_bodies_are_decoded() {
        let qp = b"To: ada@example.com\nContent-Transfer-Encoding: quoted-printable\n\n\
            Gr=C3=BC=C3=9Fe, a long=\r\n line\r\nend";
        assert_eq!(parse(qp).text, "Grüße, a long line\nend");
        let b64 = b"To: ada@example.com\nContent-Transfer-Encoding: base64\n\nR3LDvMOfZQ0K\r\nb2s=";
        assert_eq!(parse(b64).text, "Grüße\nok");
        assert_eq!(parse(b64).to, "ada@example.com");
    }
}
