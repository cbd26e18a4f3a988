//! The HTML the worker renders itself (the thank-you page, the error page of an HTML form post),
//! the security headers of every page, and the headers of downloads.

use worker::{Headers, Request, Response, Result};

use crate::error::ApiError;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The Content-Security-Policy of every page: scripts, styles and requests from this origin
/// only, no inline script or style, no plugins, never framed. `'wasm-unsafe-eval'` lets the
/// playground compile the formhook wasm module; it allows no JavaScript `eval`.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
frame-ancestors 'none'";

/// The demo form's policy: [`PAGE_CSP`] plus the captcha providers' widget scripts and frames
/// (Turnstile, hCaptcha, reCAPTCHA), which the demo renders for forms that have a site key. Only
/// the demo page gets it; the dashboard, which holds the admin token, keeps [`PAGE_CSP`].
pub const DEMO_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' https://challenges.cloudflare.com https://js.hcaptcha.com https://*.hcaptcha.com https://www.google.com https://www.gstatic.com; frame-src https://challenges.cloudflare.com https://*.hcaptcha.com https://www.google.com; style-src 'self' https://*.hcaptcha.com; img-src 'self' data:; connect-src 'self' https://*.hcaptcha.com https://www.google.com; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The policy of the error page an HTML form post gets: it has no script, so none may run.
pub const ERROR_PAGE_CSP: &str =
    "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The headers every page and asset carries (see [`PAGE_CSP`]).
pub const PAGE_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", PAGE_CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];

/// `resp` with [`PAGE_HEADERS`] added; its own headers are copied, since a response from the
/// assets binding has immutable ones.
pub fn with_page_headers(resp: Response) -> Result<Response> {
    with_headers_of(resp, PAGE_CSP)
}

/// [`with_page_headers`] for a static asset at `path`: the demo form's pages get [`DEMO_CSP`].
pub fn with_asset_headers(path: &str, resp: Response) -> Result<Response> {
    let demo = path == "/demo" || path.starts_with("/demo/");
    with_headers_of(resp, if demo { DEMO_CSP } else { PAGE_CSP })
}

fn with_headers_of(resp: Response, csp: &str) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in resp.headers().entries() {
        headers.append(&name, &value)?;
    }
    for (name, value) in PAGE_HEADERS {
        headers.set(name, value)?;
    }
    headers.set("content-security-policy", csp)?;
    let status = resp.status_code();
    Ok(resp.with_headers(headers).with_status(status))
}

fn page(title: &str, body: &str) -> String {
    // The site's stylesheet, not an inline <style>: the policy allows no inline styles.
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
<link rel=\"stylesheet\" href=\"/style.css\"></head><body><main>{body}</main></body></html>"
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
    with_page_headers(Response::from_html(page(
        "Thank you",
        &format!("<h1>Thank you!</h1><p>Your submission was received.</p>{link}"),
    ))?)
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
    // No script at all on this page: nothing but the site's stylesheet may load.
    with_headers_of(
        Response::from_html(html)?.with_status(err.status),
        ERROR_PAGE_CSP,
    )
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
