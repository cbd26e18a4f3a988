//! The two HTML pages the worker renders itself: the built-in thank-you page and the error page
//! an HTML form post gets.

use worker::{Request, Response, Result};

use crate::util::ApiError;

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

/// The error page for an HTML form post, with the same status as the JSON answer.
pub fn error_page(err: &ApiError) -> Result<Response> {
    let html = page(
        "Submission not accepted",
        &format!(
            "<h1>Submission not accepted</h1><p>{}</p><p><small>{} · {}</small></p>",
            escape(&err.message),
            err.status,
            escape(&err.code)
        ),
    );
    Ok(Response::from_html(html)?.with_status(err.status))
}
