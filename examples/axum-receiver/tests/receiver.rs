//! Builds the example receiver, runs it on 127.0.0.1 and sends it deliveries over real HTTP:
//! a signed one (200), a tampered one (401), one signed with another secret (401).
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use formhook::{sign, Scheme, Secret};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// Kills the receiver when the test ends, pass or fail.
struct Receiver(Child);

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// One HTTP/1.1 POST on a fresh connection; returns the status code and the body.
fn post(
    address: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = format!(
        "POST /webhooks HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line in {response:?}"))?;
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Ok((status, body))
}

fn signed(
    secret: &str,
    id: &str,
    body: &[u8],
) -> Result<Vec<(&'static str, String)>, Box<dyn std::error::Error>> {
    let key = Secret::parse(secret)?.hmac_key()?;
    let timestamp = now();
    Ok(vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        (
            "webhook-signature",
            sign(Scheme::StandardWebhooks, &[key], id, timestamp, body),
        ),
    ])
}

#[test]
fn the_axum_example_accepts_signed_deliveries_and_rejects_tampered_ones() -> TestResult {
    let child = Command::new(env!("CARGO_BIN_EXE_formhook-axum-receiver"))
        .env("WEBHOOK_SECRET", SECRET)
        .env("ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut receiver = Receiver(child);
    let stdout = receiver.0.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let address = line
        .trim()
        .strip_prefix("listening on http://")
        .ok_or_else(|| format!("unexpected first line {line:?}"))?
        .to_string();

    let body = br#"{"type":"form.submission.created","data":{"email":"ada@example.com"}}"#;
    let headers = signed(SECRET, "msg_axum", body)?;
    let (status, answer) = post(&address, &headers, body)?;
    let expected = format!(r#"{{"ok":true,"bytes":{}}}"#, body.len());
    assert_eq!((status, answer), (200, expected));

    let tampered = br#"{"type":"form.submission.created","data":{"email":"eve@example.com"}}"#;
    let (status, answer) = post(&address, &headers, tampered)?;
    assert_eq!(
        (status, answer.as_str()),
        (401, r#"{"error":"no_matching_signature"}"#)
    );

    let (status, answer) = post(&address, &signed(OTHER_SECRET, "msg_other", body)?, body)?;
    assert_eq!(
        (status, answer.as_str()),
        (401, r#"{"error":"no_matching_signature"}"#)
    );

    let (status, answer) = post(&address, &headers[..2], body)?;
    assert_eq!(
        (status, answer.as_str()),
        (401, r#"{"error":"missing_headers"}"#)
    );
    drop(receiver);
    Ok(())
}

#[test]
fn the_top_level_readme_shows_this_example() {
    let readme = include_str!("../../../README.md");
    let source = include_str!("../src/main.rs");
    let code: Vec<&str> = source
        .lines()
        .filter(|line| !line.starts_with("//!"))
        .collect();
    let code = code.join("\n");
    assert!(
        readme.contains(code.trim()),
        "README.md does not show examples/axum-receiver/src/main.rs (without its //! lines)"
    );
}
