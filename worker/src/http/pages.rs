//! The HTML the worker renders itself (the thank-you page, the error page of an HTML form post),
//! the security headers of every page, and the headers of downloads.

use sha2::{Digest, Sha256};
use worker::{Headers, Request, Response, Result};

use crate::error::ApiError;

/// The longest URL a "Back to the form" link carries (a `Referer` longer than this is dropped).
const MAX_BACK_URL_BYTES: usize = 2048;

/// `url` if it can be a "Back to the form" link: an absolute http(s) URL of sane length. It is
/// only ever a link the visitor may follow, never a redirect, and always HTML-escaped.
pub fn back_url(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let http = lower.starts_with("http://") || lower.starts_with("https://");
    (http && url.len() <= MAX_BACK_URL_BYTES && !url.chars().any(char::is_control)).then_some(url)
}

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

/// The one script of the error page an HTML form post gets: its "Back to the form" link goes
/// back in the browser's history, so the form comes back with what the visitor typed (following
/// the link's `href`, the form's URL, would load it afresh and empty). Without script, or with
/// no page to go back to, the link is followed as usual.
const BACK_SCRIPT: &str = "document.getElementById(\"back\").addEventListener(\"click\",\
function(e){if(history.length>1){e.preventDefault();history.back();}});";

/// The policy of the error page: nothing loads but the site's stylesheet, and the only script
/// that may run is [`BACK_SCRIPT`], allowed by its hash.
pub fn error_page_csp() -> String {
    let hash = formhook::encoding::base64_encode(&Sha256::digest(BACK_SCRIPT.as_bytes()));
    format!(
        "default-src 'none'; script-src 'sha256-{hash}'; style-src 'self'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'"
    )
}

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

/// `GET /thanks`: shown after an HTML form post when the form has no redirect URL. Its "Back
/// to the form" link is the page the form was posted from: `?back=` (the post's `Referer`,
/// which the ingest's redirect passes on), else this request's own `Referer`.
pub fn thanks(req: &Request) -> Result<Response> {
    let from_query = req
        .url()?
        .query_pairs()
        .find(|(name, _)| name == "back")
        .map(|(_, value)| value.into_owned());
    let back = from_query
        .or_else(|| req.headers().get("referer").ok().flatten())
        .filter(|r| back_url(r).is_some());
    let link = back.map_or(String::new(), |r| {
        format!("<p><a href=\"{}\">Back to the form</a></p>", escape(&r))
    });
    with_page_headers(Response::from_html(page(
        "Thank you",
        &format!("<h1>Thank you!</h1><p>Your submission was received.</p>{link}"),
    ))?)
}

/// The error page for an HTML form post, with the same status as the JSON answer: what went
/// wrong and the limit involved in plain words, and a "Back to the form" link that returns to
/// the form with what the visitor typed (see [`BACK_SCRIPT`]); the code and the exact message
/// follow in small print for whoever maintains the form.
pub fn error_page(err: &ApiError, referer: Option<&str>) -> Result<Response> {
    let (title, explanation) = plain_words(err);
    let codes = if err.error_codes.is_empty() {
        String::new()
    } else {
        format!(" · {}", escape(&err.error_codes.join(", ")))
    };
    // With script the link goes back in history; without, to the form's page (the `Referer`),
    // or nowhere, and the sentence points at the browser's Back button.
    let href = referer.and_then(back_url).unwrap_or("#");
    let html = page(
        title,
        &format!(
            "<h1>{title}</h1><p>{}</p>\
<p><a id=\"back\" href=\"{}\">Back to the form</a> (or your browser's Back button): \
what you typed is still there.</p>\
<p><small>{} · {} · {}{codes}</small></p><script>{BACK_SCRIPT}</script>",
            escape(&explanation),
            escape(href),
            escape(&err.message),
            err.status,
            escape(&err.code)
        ),
    );
    with_headers_of(
        Response::from_html(html)?.with_status(err.status),
        &error_page_csp(),
    )
}

/// A page title and one or two sentences a visitor understands, for an error of a form post.
fn plain_words(err: &ApiError) -> (&'static str, String) {
    let wait = match err.retry_after_secs {
        Some(1) => "a second".to_string(),
        Some(secs) => format!("{secs} seconds"),
        None => "a minute".to_string(),
    };
    let limit = err.limit;
    match (err.status, err.code.as_str()) {
        (_, code) if code.starts_with("captcha_") => ("Spam check not passed", err.message.clone()),
        (413, "file_too_large") => (
            "File too large",
            format!(
                "A file you attached is larger than this form accepts{}. Attach a smaller \
file, then send the form again.",
                limit.map_or(String::new(), |l| format!(
                    " (at most {} per file)",
                    size(l)
                ))
            ),
        ),
        (413, "fields_too_large") => (
            "Too much text",
            format!(
                "What you typed is longer than this form can keep{}. Shorten it, then send the \
form again.",
                limit.map_or(String::new(), |l| format!(" (at most {})", size(l)))
            ),
        ),
        (413, _) => (
            "Too large to send",
            format!(
                "This form accepts {} in one submission, files included, and what you sent is \
larger. Attach smaller or fewer files, then send the form again.",
                limit.map_or("less".to_string(), |l| format!("at most {}", size(l)))
            ),
        ),
        (429, "form_rate_limited") => (
            "Too many submissions",
            format!(
                "This form is receiving {} right now. Wait {wait}, then send it again.",
                limit.map_or("more submissions than it takes".to_string(), |l| format!(
                    "more than its limit of {l} submissions a minute"
                ))
            ),
        ),
        (429, _) => (
            "Too many submissions",
            format!(
                "This form takes {} from one visitor. Wait {wait}, then send it again.",
                limit.map_or("only a few submissions a minute".to_string(), |l| format!(
                    "at most {l} submission{} a minute",
                    if l == 1 { "" } else { "s" }
                ))
            ),
        ),
        (403, "origin_not_allowed") => (
            "Not accepted from this site",
            "This form takes submissions only from the sites its owner listed, and the page \
you sent it from is not one of them."
                .to_string(),
        ),
        (400 | 415 | 422, _) => (
            "The form could not be read",
            "What your browser sent could not be read as this form's submission. Go back and \
send it again; if this keeps happening, tell the site's owner."
                .to_string(),
        ),
        (507, _) => (
            "This form is full",
            "This form has stored all its owner allows and takes no more submissions for now. \
Tell the site's owner."
                .to_string(),
        ),
        (404, "form_not_found") => (
            "Submission not accepted",
            "This form does not exist (any more). Tell the site's owner.".to_string(),
        ),
        _ => ("Submission not accepted", err.message.clone()),
    }
}

/// Bytes for people: `1 MB (1,048,576 bytes)`, `900 KB (921,600 bytes)`, `512 bytes`.
fn size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    let exact = grouped(bytes);
    let tenths = |unit: u64| {
        let t = (bytes * 10 + unit / 2) / unit;
        if t.is_multiple_of(10) {
            format!("{}", t / 10)
        } else {
            format!("{}.{}", t / 10, t % 10)
        }
    };
    if bytes >= MB {
        format!("{} MB ({exact} bytes)", tenths(MB))
    } else if bytes >= KB {
        format!("{} KB ({exact} bytes)", tenths(KB))
    } else {
        format!("{exact} bytes")
    }
}

/// `1048576` → `1,048,576`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
    fn sizes_in_plain_words() {
        assert_eq!(size(1024 * 1024), "1 MB (1,048,576 bytes)");
        assert_eq!(size(1_900_000), "1.8 MB (1,900,000 bytes)");
        assert_eq!(size(2048), "2 KB (2,048 bytes)");
        assert_eq!(size(100), "100 bytes");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
    }

    #[test]
    fn limits_are_said_in_plain_words() {
        let big = crate::http::body::too_large(1024 * 1024);
        let (title, text) = plain_words(&big);
        assert_eq!(title, "Too large to send");
        assert!(text.contains("at most 1 MB (1,048,576 bytes)"), "{text}");
        let mut rate = ApiError::new(429, "rate_limited", "x").with_limit(3);
        rate.retry_after_secs = Some(42);
        let (_, text) = plain_words(&rate);
        assert!(text.contains("at most 3 submissions a minute"), "{text}");
        assert!(text.contains("Wait 42 seconds"), "{text}");
        let (title, _) = plain_words(&ApiError::new(403, "origin_not_allowed", "x"));
        assert_eq!(title, "Not accepted from this site");
    }

    #[test]
    fn back_links_are_http_urls_only() {
        assert_eq!(
            back_url("https://site.example/a?b=1"),
            Some("https://site.example/a?b=1")
        );
        assert_eq!(
            back_url("HTTP://site.example/"),
            Some("HTTP://site.example/")
        );
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "//evil.example/",
            "/relative",
            "https://a\nb",
        ] {
            assert_eq!(back_url(bad), None, "{bad}");
        }
        assert_eq!(
            back_url(&format!("https://a.example/{}", "x".repeat(3000))),
            None
        );
    }

    #[test]
    fn the_error_page_policy_allows_exactly_its_script() {
        let csp = error_page_csp();
        assert!(csp.contains("script-src 'sha256-"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        // The base64 SHA-256 of the script, as a browser computes it for the inline block.
        let hash = formhook::encoding::base64_encode(&Sha256::digest(BACK_SCRIPT.as_bytes()));
        assert!(csp.contains(&format!("'sha256-{hash}'")));
        assert!(
            !BACK_SCRIPT.contains("</"),
            "the script cannot end its own element"
        );
    }

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
