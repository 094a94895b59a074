//! The SMTP adapter against a real SMTP server: Python's aiosmtpd (`tests/smtp_sink.py`), run
//! with the test virtualenv's interpreter named by `PLINTH_PYTHON` (`make test` sets it; by hand:
//! `PLINTH_PYTHON=$(bash infra/scripts/python-env.sh | tail -1) cargo test -p plinth-infra-mail`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use plinth_infra_mail::{Error, Message, Received, notifier_from_url, read_mailbox};

const FROM: &str = "Plinth <no-reply@localhost>";

/// A running `smtp_sink.py` and the directory it stores messages in; both go away on drop.
struct Sink {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Sink {
    /// Starts the sink, or returns `None` (after saying why) when `PLINTH_PYTHON` is not set.
    fn start() -> Option<Self> {
        let Ok(python) = std::env::var("PLINTH_PYTHON") else {
            eprintln!(
                "skipping: PLINTH_PYTHON is not set. Run the tests through `make test`, or set it \
                 to the virtualenv's python from `bash infra/scripts/python-env.sh`."
            );
            return None;
        };
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let dir = std::env::temp_dir().join(format!("plinth-smtp-{}", uuid::Uuid::new_v4()));
        let mut child = Command::new(&python)
            .arg(&script)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut sink = Self {
            child,
            port: 0,
            dir,
        };
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the SMTP sink printed its port within 30 s");
        sink.port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the SMTP sink did not start (it printed {line:?})"));
        Some(sink)
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The envelope the server recorded next to `received`.
    fn envelope(received: &Received) -> String {
        std::fs::read_to_string(received.path.with_extension("envelope")).expect("envelope file")
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls the sink's directory until it holds `count` messages, or panics after 10 s.
async fn inbox(dir: &Path, count: usize) -> Vec<Received> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let received = read_mailbox(dir).expect("readable sink directory");
        if received.len() >= count {
            return received;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {count} message(s) in {}, found {received:?}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn message(id: &str) -> Message {
    Message {
        id: id.to_owned(),
        to: "ada@example.com".into(),
        to_name: Some("Ada Lovelace".into()),
        subject: "Confirm your e-mail".into(),
        text: format!("Hello Ada,\n\nyour confirmation code is CODE-{id}.\n"),
    }
}

#[tokio::test]
async fn a_message_sent_over_smtp_arrives_with_its_headers_and_body() {
    let Some(sink) = Sink::start() else { return };
    let notifier = notifier_from_url(&sink.url(), FROM).expect("a valid SMTP URL");
    let id = uuid::Uuid::new_v4().to_string();

    notifier
        .send(&message(&id))
        .await
        .expect("the server accepts the message");

    let received = inbox(&sink.dir, 1).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let mail = &received[0];
    assert_eq!(mail.to, "ada@example.com");
    assert_eq!(mail.subject, "Confirm your e-mail");
    // lettre ends the DATA with `\r\n.\r\n` even after a final line break, so the server's copy
    // has one more empty line at the end than the mailbox's.
    assert_eq!(mail.text.trim_end(), message(&id).text.trim_end());
    let raw = std::fs::read_to_string(&mail.path).expect("raw message");
    assert!(
        raw.contains(&format!("Message-ID: <{id}@localhost>\r\n")),
        "{raw}"
    );
    assert!(
        raw.contains("From: Plinth <no-reply@localhost>\r\n"),
        "{raw}"
    );
    assert!(raw.contains(&format!("CODE-{id}")), "{raw}");
    let envelope = Sink::envelope(mail);
    assert!(
        envelope.contains("MAIL FROM:<no-reply@localhost>"),
        "{envelope}"
    );
    assert!(envelope.contains("RCPT TO:<ada@example.com>"), "{envelope}");
}

#[tokio::test]
async fn sending_the_same_message_again_repeats_its_message_id() {
    let Some(sink) = Sink::start() else { return };
    let notifier = notifier_from_url(&sink.url(), FROM).expect("a valid SMTP URL");
    let id = uuid::Uuid::new_v4().to_string();

    notifier.send(&message(&id)).await.expect("first send");
    notifier.send(&message(&id)).await.expect("second send");

    let received = inbox(&sink.dir, 2).await;
    let header = format!("Message-ID: <{id}@localhost>\r\n");
    for mail in &received {
        let raw = std::fs::read_to_string(&mail.path).expect("raw message");
        assert!(raw.contains(&header), "{raw}");
    }
}

#[tokio::test]
async fn a_server_without_starttls_is_refused_when_starttls_is_required() {
    let Some(sink) = Sink::start() else { return };
    let url = format!("smtp+starttls://127.0.0.1:{}", sink.port);
    let notifier = notifier_from_url(&url, FROM).expect("a valid SMTP URL");

    let error = notifier
        .send(&message("no-tls"))
        .await
        .expect_err("no plain-text fallback");

    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(
        read_mailbox(&sink.dir)
            .expect("readable sink directory")
            .is_empty()
    );
}

#[tokio::test]
async fn a_closed_port_is_a_retryable_transport_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("bound address").port()
    };
    let notifier =
        notifier_from_url(&format!("smtp://127.0.0.1:{port}"), FROM).expect("a valid SMTP URL");

    let error = notifier
        .send(&message("closed"))
        .await
        .expect_err("nobody listens");

    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}
