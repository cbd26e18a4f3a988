//! The HTML the worker renders itself (the thank-you page, the error page of an HTML form post)
//! and the headers of downloads.

use worker::{Request, Response, Result};

use crate::error::ApiError;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}}\
h1{{font-size:1.5rem}}a{{color:#0b57d0}}</style></head><body>{body}</body></html>"
    )
}

/// `GET /thanks`: shown after an HTML form post when the form has no redirect URL.
pub fn thanks(req: &Request) -> Result<Response> {
    let back = req
        .headers()
        .get("referer")
        .ok()
        .flatten()
        .filter(|r| r.starts_with("http://") || r.starts_with("https://"));
    let link = back.map_or(String::new(), |r| {
        format!("<p><a href=\"{}\">Back to the form</a></p>", escape(&r))
    });
    Response::from_html(page(
        "Thank you",
        &format!("<h1>Thank you!</h1><p>Your submission was received.</p>{link}"),
    ))
}

/// The error page for an HTML form post, with the same status as the JSON answer. A failed
/// spam check says what failed and links back to the form (the `Referer`, a plain link: the
/// page runs no script at all).
pub fn error_page(err: &ApiError, referer: Option<&str>) -> Result<Response> {
    let captcha = err.code.starts_with("captcha_");
    let title = if captcha {
        "Spam check not passed"
    } else {
        "Submission not accepted"
    };
    let codes = if err.error_codes.is_empty() {
        String::new()
    } else {
        format!(" · {}", escape(&err.error_codes.join(", ")))
    };
    let back = match referer.filter(|r| r.starts_with("http://") || r.starts_with("https://")) {
        Some(url) if captcha || err.status == 429 || err.status == 503 => {
            format!("<p><a href=\"{}\">Back to the form</a></p>", escape(url))
        }
        None if captcha => "<p>Use your browser's Back button to return to the form.</p>".into(),
        _ => String::new(),
    };
    let html = page(
        title,
        &format!(
            "<h1>{title}</h1><p>{}</p>{back}<p><small>{} · {}{codes}</small></p>",
            escape(&err.message),
            err.status,
            escape(&err.code)
        ),
    );
    let mut resp = Response::from_html(html)?.with_status(err.status);
    resp.headers_mut().set(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'",
    )?;
    Ok(resp)
}

/// Content types a download keeps: ones a browser never runs as a page or script. Anything
/// else (HTML, SVG, XML, JavaScript, unknown types) is served as `application/octet-stream`.
const PASSIVE_TYPES: [&str; 9] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/zip",
];

/// The content type a stored file is served with.
pub fn download_type(submitted: &str) -> &'static str {
    let media = submitted.split(';').next().unwrap_or("").trim();
    PASSIVE_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(media))
        .copied()
        .unwrap_or("application/octet-stream")
}

/// `Content-Disposition: attachment` with the file name made safe for a quoted string.
pub fn attachment(filename: &str) -> String {
    let safe: String = filename
        .chars()
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() || !c.is_ascii() {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!("attachment; filename=\"{safe}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_types_are_served_as_bytes() {
        assert_eq!(
            download_type("text/html; charset=utf-8"),
            "application/octet-stream"
        );
        assert_eq!(download_type("image/svg+xml"), "application/octet-stream");
        assert_eq!(download_type("IMAGE/PNG"), "image/png");
        assert_eq!(
            attachment("a\"b\\c\r\n.txt"),
            "attachment; filename=\"a_b_c__.txt\""
        );
    }
}
