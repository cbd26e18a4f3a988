//! The siteverify call of a form's captcha check. The form's object makes it (so the secret never
//! leaves the object that stores it), after the body is parsed and before anything is stored;
//! the core takes the token out of the fields, builds the request body, judges the answer and
//! decides. This module only sends, waits and reads.

use std::time::Duration;

use formhook::captcha::{
    decide, idempotency_key, judge, refuse_token, siteverify_body, take_token, Decision,
    Expectations, Judgement, Provider, SiteverifyRequest, Transport,
};
use formhook::form::Fields;
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use worker::{AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit};

use crate::log::{emit, LogLine};
use crate::platform::{now_u64, random_bytes};
use crate::settings::CaptchaSettings;

/// How long a siteverify check may take, a Turnstile retry included: the visitor is waiting.
pub const SITEVERIFY_TIMEOUT_MS: u64 = 5_000;
/// The most of a siteverify answer read (its JSON is a few hundred bytes).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The environment variable that replaces a provider's siteverify URL, for local runs and tests
/// (a local server on 127.0.0.1). It is the operator's setting: no form can choose where its
/// token goes, which is why the SSRF guard does not apply to these URLs.
pub const fn url_variable(provider: Provider) -> &'static str {
    match provider {
        Provider::Turnstile => "TURNSTILE_SITEVERIFY_URL",
        Provider::Hcaptcha => "HCAPTCHA_SITEVERIFY_URL",
        Provider::Recaptcha => "RECAPTCHA_SITEVERIFY_URL",
    }
}

fn siteverify_url(env: &Env, provider: Provider) -> String {
    env.var(url_variable(provider))
        .map(|v| v.to_string())
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| provider.siteverify_url().to_string())
}

/// Checks the captcha of a post: takes the token out of `fields` (every provider's token field
/// is removed), asks siteverify and returns what the core decides.
pub async fn check(
    env: &Env,
    form_id: &str,
    captcha: &CaptchaSettings,
    fields: &mut Fields,
    remote_ip: Option<&str>,
) -> Decision {
    let provider = captcha.provider;
    let token = match take_token(fields, provider) {
        Ok(token) => token,
        Err(err) => return Decision::Refuse(refuse_token(provider, err)),
    };
    let mut random = [0u8; 16];
    // Without randomness the call still works; Turnstile only loses safe retries.
    let key = random_bytes(&mut random)
        .ok()
        .map(|()| idempotency_key(random));
    let body = siteverify_body(&SiteverifyRequest {
        provider,
        secret: captcha.secret.expose(),
        token: &token,
        remote_ip,
        site_key: Some(&captcha.site_key),
        idempotency_key: key.as_deref(),
    });
    let url = siteverify_url(env, provider);
    let started = now_u64();
    let mut answer = post(&url, body.clone(), SITEVERIFY_TIMEOUT_MS).await;
    // Turnstile's idempotency key makes a second try safe (the same token is not "used twice");
    // one more try, within what is left of the deadline, when the first failed fast.
    let failed_fast = match &answer {
        Err(Transport::Network) => true,
        Ok((status, _)) => *status >= 500,
        Err(Transport::Timeout) => false,
    };
    let left = SITEVERIFY_TIMEOUT_MS.saturating_sub(now_u64().saturating_sub(started));
    if provider == Provider::Turnstile && key.is_some() && failed_fast && left >= 500 {
        answer = post(&url, body, left).await;
    }
    let expect = Expectations {
        hostnames: &captcha.expected_hostnames,
        action: captcha.expected_action.as_deref(),
        min_score: captcha.min_score,
    };
    let judgement = judge(
        provider,
        &expect,
        answer
            .as_ref()
            .map(|(status, bytes)| (*status, bytes.as_slice()))
            .map_err(|t| *t),
    );
    if let Judgement::Unavailable(why) = &judgement {
        emit(&LogLine::CaptchaUnavailable {
            form_id,
            provider: provider.name(),
            reason: why.code(),
            on_error: captcha.on_error.name(),
        });
    }
    decide(provider, judgement, captcha.on_error)
}

/// Posts the body with a deadline; the status and at most [`MAX_ANSWER_BYTES`] of the answer.
async fn post(url: &str, body: String, timeout_ms: u64) -> Result<(u16, Vec<u8>), Transport> {
    let send = async {
        let headers = Headers::new();
        headers.set("content-type", "application/x-www-form-urlencoded")?;
        headers.set("accept", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let request = Request::new_with_init(url, &init)?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let exchange = async {
            let mut resp = Fetch::Request(request).send_with_signal(&signal).await?;
            let status = resp.status_code();
            let mut bytes = Vec::new();
            if let Ok(mut stream) = resp.stream() {
                while let Some(chunk) = stream.next().await {
                    bytes.extend_from_slice(&chunk?);
                    if bytes.len() > MAX_ANSWER_BYTES {
                        break;
                    }
                }
            }
            Ok::<_, worker::Error>((status, bytes))
        };
        let deadline = Delay::from(Duration::from_millis(timeout_ms));
        futures_util::pin_mut!(exchange);
        Ok::<_, worker::Error>(match select(exchange, deadline).await {
            Either::Left((Ok(answer), _)) => Ok(answer),
            Either::Left((Err(_), _)) => Err(Transport::Network),
            Either::Right(((), _)) => {
                controller.abort();
                Err(Transport::Timeout)
            }
        })
    };
    send.await.unwrap_or(Err(Transport::Network))
}
