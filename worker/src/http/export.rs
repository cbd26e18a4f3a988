//! `GET /api/forms/{form_id}/submissions.csv`: a form's submissions as CSV (RFC 4180: CRLF
//! lines, fields quoted when they hold a quote, comma or line break, quotes doubled), one column
//! per field name any selected submission has, files as their names. A cell a spreadsheet would
//! run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'`
//! (OWASP's advice for CSV injection): field names and values come from anyone who can post.
//! The body streams page by page, newest first, so no export holds the whole form in memory; a
//! sharded form's pages merge every shard's (as the listing does).

use futures_util::{stream, StreamExt};
use serde_json::Value;
use worker::{Env, Response};

use crate::error::{ApiError, ApiResult};
use crate::http::shards;
use crate::protocol::{PageQuery, SubmissionColumns, SubmissionFilter};
use crate::rpc;
use crate::views::SubmissionView;

/// Submissions read from the form per page of the stream.
const PAGE: u32 = 200;

/// The columns before the fields and after them.
const LEADING: [&str; 3] = ["submission_id", "received_at", "spam"];
const TRAILING: [&str; 5] = ["files", "ip", "country", "user_agent", "referer"];

/// One CSV cell: neutralised if a spreadsheet would read it as a formula, quoted if needed.
pub fn cell(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if guarded.contains(['"', ',', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// One CSV line (CRLF-terminated).
pub fn line<S: AsRef<str>>(cells: impl IntoIterator<Item = S>) -> String {
    let mut out = cells
        .into_iter()
        .map(|c| cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

/// A field value as cell text: text as it is, other values as compact JSON.
fn value_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The header line: a field named like a fixed column is headed `data.{name}`.
pub fn header(fields: &[String]) -> String {
    let named = fields.iter().map(|f| {
        if LEADING.contains(&f.as_str()) || TRAILING.contains(&f.as_str()) {
            format!("data.{f}")
        } else {
            f.clone()
        }
    });
    line(
        LEADING
            .iter()
            .map(|s| (*s).to_string())
            .chain(named)
            .chain(TRAILING.iter().map(|s| (*s).to_string())),
    )
}

/// One submission's line.
pub fn row(fields: &[String], s: &SubmissionView) -> String {
    let mut cells = vec![
        s.id.clone(),
        s.created_at.clone(),
        s.spam_reason
            .map_or(String::new(), |r| r.as_str().to_string()),
    ];
    cells.extend(fields.iter().map(|f| value_text(s.data.get(f))));
    cells.push(
        s.files
            .iter()
            .map(|f| f.filename.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    );
    let meta = &s.meta;
    for v in [&meta.ip, &meta.country, &meta.user_agent, &meta.referer] {
        cells.push(v.clone().unwrap_or_default());
    }
    line(cells)
}

struct Cursor {
    env: Env,
    form_id: String,
    spam: Option<bool>,
    filter: SubmissionFilter,
    fields: Vec<String>,
    shards: u32,
    next: Option<String>,
    done: bool,
}

/// The streamed CSV answer; errors before the first byte (an unknown form) are JSON errors.
pub async fn submissions_csv(
    env: &Env,
    form_id: &str,
    spam: Option<bool>,
    filter: SubmissionFilter,
) -> ApiResult<Response> {
    let shards = shards::count(env, form_id).await?;
    // Every shard's field names: the form's own first, then those only other shards have.
    let mut fields: Vec<String> = Vec::new();
    for shard in 0..shards {
        let call = SubmissionColumns {
            spam,
            filter: filter.clone(),
        };
        match rpc::call(&rpc::form_shard(env, form_id, shard)?, &call).await {
            Ok(names) => {
                for name in names {
                    if !fields.contains(&name) {
                        fields.push(name);
                    }
                }
            }
            // A shard that never took a submission has no form yet.
            Err(err) if shard > 0 && err.status == 404 => {}
            Err(err) => return Err(err),
        }
    }
    let first = header(&fields);
    let cursor = Cursor {
        env: env.clone(),
        form_id: form_id.to_string(),
        spam,
        filter,
        fields,
        shards,
        next: None,
        done: false,
    };
    let pages = stream::try_unfold(cursor, |mut c| async move {
        if c.done {
            return Ok(None);
        }
        let page = shards::list(
            &c.env,
            &c.form_id,
            c.shards,
            PageQuery {
                limit: PAGE,
                cursor: c.next.clone(),
            },
            c.spam,
            c.filter.clone(),
        )
        .await
        .map_err(|e: ApiError| worker::Error::RustError(format!("{}: {}", e.code, e.message)))?;
        let text: String = page.data.iter().map(|s| row(&c.fields, s)).collect();
        c.next = page.next_cursor;
        c.done = c.next.is_none();
        Ok::<_, worker::Error>(Some((text.into_bytes(), c)))
    });
    let body = stream::once(async move { Ok::<_, worker::Error>(first.into_bytes()) }).chain(pages);
    let mut resp = Response::from_stream(body)?;
    let headers = resp.headers_mut();
    headers.set("content-type", "text/csv; charset=utf-8")?;
    headers.set(
        "content-disposition",
        &crate::http::pages::attachment(&format!("{form_id}-submissions.csv")),
    )?;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\r\nlines"), "\"two\r\nlines\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1 555"), "'+1 555");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("\rx"), "\"'\rx\"");
        assert_eq!(cell("a=b"), "a=b");
        assert_eq!(cell(""), "");
        assert_eq!(line(["a", "b,c"]), "a,\"b,c\"\r\n");
    }

    #[test]
    fn the_header_keeps_fields_apart_from_fixed_columns() {
        let h = header(&["email".into(), "spam".into(), "=cmd".into()]);
        assert_eq!(
            h,
            "submission_id,received_at,spam,email,data.spam,'=cmd,files,ip,country,user_agent,referer\r\n"
        );
    }
}
