//! Small adapters shared by every module: JSON responses, API errors, ids, clock, randomness,
//! and calls between Durable Objects.

use serde::Serialize;
use serde_json::{json, Value};
use worker::{Date, Headers, Method, Request, RequestInit, Response, Result, SqlStorage, Stub};

/// The current Unix time in milliseconds.
pub fn now_ms() -> i64 {
    i64::try_from(Date::now().as_millis()).unwrap_or(i64::MAX)
}

/// Fills `buf` from the platform's CSPRNG (`crypto.getRandomValues`).
pub fn random_bytes(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| worker::Error::RustError(format!("random: {e}")))
}

/// A uniform random `u32`, for retry jitter.
pub fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    // A failed CSPRNG only loses jitter, never a delivery: fall back to "no jitter".
    if random_bytes(&mut b).is_err() {
        return 1 << 31;
    }
    u32::from_le_bytes(b)
}

const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A time-ordered id, `<prefix>_` + 10 chars of milliseconds + 16 random chars (ULID layout,
/// lowercase Crockford base32), so ids sort by creation time and serve as cursors.
pub fn new_id(prefix: &str) -> Result<String> {
    let mut random = [0u8; 10];
    random_bytes(&mut random)?;
    let mut out = String::with_capacity(prefix.len() + 27);
    out.push_str(prefix);
    out.push('_');
    let ms = u64::try_from(now_ms()).unwrap_or(0);
    for i in (0..10).rev() {
        out.push(char::from(CROCKFORD[((ms >> (i * 5)) & 31) as usize]));
    }
    let mut bits: u128 = 0;
    for b in random {
        bits = (bits << 8) | u128::from(b);
    }
    for i in (0..16).rev() {
        out.push(char::from(CROCKFORD[((bits >> (i * 5)) & 31) as usize]));
    }
    Ok(out)
}

/// A JSON response with a status.
pub fn json_response<T: Serialize>(status: u16, body: &T) -> Result<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}

/// An API error, rendered as `{"error":{"code","message"}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Stable identifier.
    pub code: String,
    /// Human explanation.
    pub message: String,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        json!({"error": {"code": self.code, "message": self.message}})
    }

    /// The JSON response.
    pub fn response(&self) -> Result<Response> {
        json_response(self.status, &self.body())
    }

    /// A 422 naming the field at fault.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::new(422, "invalid_field", format!("{field}: {}", message.into()))
    }

    /// A 500 for a platform failure (storage, subrequest).
    pub fn internal(err: impl core::fmt::Display) -> Self {
        Self::new(500, "internal_error", format!("internal error: {err}"))
    }
}

impl From<worker::Error> for ApiError {
    fn from(err: worker::Error) -> Self {
        Self::internal(err)
    }
}

/// A handler's outcome: a response, or an API error to render.
pub type ApiResult<T = Response> = core::result::Result<T, ApiError>;

/// Renders either side as a response.
pub fn finish(result: ApiResult) -> Result<Response> {
    match result {
        Ok(resp) => Ok(resp),
        Err(err) => err.response(),
    }
}

/// Calls a Durable Object with an internal request: `method path` with an optional JSON body.
/// The response is passed through (status and body), so errors keep their codes.
pub async fn call(
    stub: &Stub,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Response> {
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(body) = body {
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        init.with_headers(headers);
        init.with_body(Some(body.to_string().into()));
    }
    let req = Request::new_with_init(&format!("https://internal{path}"), &init)?;
    stub.fetch_with_request(req).await
}

/// Calls a Durable Object and reads a JSON answer; a non-2xx answer becomes the `ApiError` it carries.
pub async fn call_json(
    stub: &Stub,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> ApiResult<Value> {
    let mut resp = call(stub, method, path, body).await?;
    let status = resp.status_code();
    let text = resp.text().await?;
    let value: Value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).map_err(ApiError::internal)?
    };
    if (200..300).contains(&status) {
        Ok(value)
    } else {
        let code = value["error"]["code"].as_str().unwrap_or("internal_error");
        let message = value["error"]["message"]
            .as_str()
            .unwrap_or("internal error");
        Err(ApiError::new(status, code, message))
    }
}

/// Reads a JSON request body into a value; a bad body is `400 invalid_json`.
pub async fn read_json(req: &mut Request) -> ApiResult<Value> {
    let text = req.text().await?;
    if text.trim().is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    serde_json::from_str(&text).map_err(|e| {
        ApiError::new(
            400,
            "invalid_json",
            format!("request body is not valid JSON: {e}"),
        )
    })
}

/// Cursor pagination from a request's query: `limit` (1..=200, default 50), `cursor` (the last
/// id of the previous page; ids sort by time, so "older than the cursor" is the next page).
pub struct Paging {
    pub limit: i64,
    pub cursor: String,
    pub query: std::collections::HashMap<String, String>,
}

impl Paging {
    /// Reads `limit` and `cursor`; a bad limit is a 422.
    pub fn of(req: &Request) -> ApiResult<Self> {
        let query: std::collections::HashMap<String, String> =
            req.url()?.query_pairs().into_owned().collect();
        Ok(Self {
            limit: page_limit(query.get("limit").map(String::as_str))?,
            // "~" sorts after every id: no cursor means from the newest.
            cursor: query
                .get("cursor")
                .cloned()
                .unwrap_or_else(|| "~".to_string()),
            query,
        })
    }

    /// Fetch this many rows: one more than the page tells whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// `{"data": [...], "next_cursor": id|null}` from rows fetched with [`Paging::fetch`].
    pub fn page<T>(&self, rows: &[T], to_json: impl Fn(&T) -> Value) -> ApiResult {
        let keep = usize::try_from(self.limit).unwrap_or(0);
        let data: Vec<Value> = rows.iter().take(keep).map(to_json).collect();
        let next = if rows.len() > keep {
            data.last().map(|d| d["id"].clone())
        } else {
            None
        };
        ok(&json!({"data": data, "next_cursor": next}))
    }
}

/// `limit` from a query, 1..=200, default 50.
pub fn page_limit(value: Option<&str>) -> ApiResult<i64> {
    match value {
        None => Ok(50),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=200).contains(&n) => Ok(n),
            _ => Err(ApiError::field("limit", "must be an integer from 1 to 200")),
        },
    }
}

/// A `200` JSON answer.
pub fn ok(value: &Value) -> ApiResult {
    Ok(json_response(200, value)?)
}

#[derive(serde::Deserialize)]
struct SettingsRow {
    value: String,
}

/// Reads an object's settings (JSON in its `kv` table under `config`); `None` when absent or
/// when the table does not exist (the object was never created, or was deleted).
pub fn load_settings<T: serde::de::DeserializeOwned>(sql: &SqlStorage) -> ApiResult<Option<T>> {
    let rows: Vec<SettingsRow> = match sql
        .exec("SELECT value FROM kv WHERE key = 'config'", None)
        .and_then(|c| c.to_array())
    {
        Ok(rows) => rows,
        Err(_) => return Ok(None),
    };
    match rows.into_iter().next() {
        None => Ok(None),
        Some(row) => serde_json::from_str(&row.value)
            .map(Some)
            .map_err(ApiError::internal),
    }
}

/// Writes an object's settings (see [`load_settings`]).
pub fn save_settings<T: Serialize>(sql: &SqlStorage, settings: &T) -> ApiResult<()> {
    let text = serde_json::to_string(settings).map_err(ApiError::internal)?;
    sql.exec(
        "INSERT INTO kv(key, value) VALUES ('config', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        vec![text.into()],
    )?;
    Ok(())
}

/// RFC 3339 text of a Unix millisecond time.
pub fn iso(ms: i64) -> String {
    formhook::time::rfc3339_millis(ms)
}

/// RFC 3339 text, or `null`.
pub fn iso_opt(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(iso(ms)))
}
