// End to end: forms with a captcha, in workerd, against a local siteverify server on 127.0.0.1
// that answers as the providers' documentation describes (success, hostname mismatch, wrong
// action, low score, single-use tokens → timeout-or-duplicate, malformed JSON, 500, no answer).
// Each provider's success path delivers with the verdict in the signed event; each failure
// answers 403/503 and stores nothing, or stores spam when the form accepts it as spam; the
// secrets never appear in a response or a log line.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { eventually, startReceiver } from "./receiver.mjs";
import { startSiteverify } from "./siteverify.mjs";

let worker;
let dir;
let siteverify;
const token = randomBytes(16).toString("hex");
const receivers = [];
const seen = []; // every response body and its headers, to search for secrets
const SECRETS = {
  turnstile: `0x4AAAAAAA-turnstile-${randomBytes(8).toString("hex")}`,
  hcaptcha: `0x-hcaptcha-${randomBytes(8).toString("hex")}`,
  recaptcha: `6Lrecaptcha-${randomBytes(8).toString("hex")}`,
};
const HOST = "forms.example.com";

const api = adminApi(() => worker.url, token, { record: (answer) => seen.push(answer) });

async function submit(form, fields, headers = {}) {
  const res = await fetch(`${worker.url}/f/${form}`, {
    method: "POST",
    body: new URLSearchParams(fields).toString(),
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded", "x-real-ip": "203.0.113.9", ...headers },
    redirect: "manual",
  });
  const text = await res.text();
  seen.push({ path: `/f/${form}`, status: res.status, text, headers: [...res.headers].join("\n") });
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text, headers: res.headers };
}

async function receiver() {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

const captchas = {
  turnstile: { provider: "turnstile", secret: SECRETS.turnstile, site_key: "1x00000000000000000000AA", expected_hostnames: [HOST], expected_action: "contact" },
  hcaptcha: { provider: "hcaptcha", secret: SECRETS.hcaptcha, site_key: "10000000-ffff-ffff-ffff-000000000001", expected_hostnames: [HOST] },
  recaptcha: { provider: "recaptcha", secret: SECRETS.recaptcha, site_key: "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI", expected_hostnames: [HOST], expected_action: "submit", min_score: 0.5 },
};

/** A form with the provider's captcha and one endpoint; the receiver knows the endpoint's secret. */
async function setup(id, provider, extra = {}) {
  const form = await api("POST", "/api/forms", { id, rate_limit_per_minute: 0, captcha: { ...captchas[provider], ...extra } });
  assert.equal(form.status, 201, JSON.stringify(form.json));
  const r = await receiver();
  const ep = await api("POST", `/api/forms/${id}/endpoints`, { url: r.url, retry_schedule: "quick" });
  assert.equal(ep.status, 201, JSON.stringify(ep.json));
  r.setSecrets(ep.json.secret);
  return { form: form.json, receiver: r, endpoint: ep.json };
}

const stored = async (form, query = "") => (await api("GET", `/api/forms/${form}/submissions?limit=200${query}`)).json.data;
let n = 0;
const tok = (kind) => `${kind}#${++n}-${randomBytes(6).toString("hex")}`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-captcha-"));
  siteverify = await startSiteverify({ secrets: SECRETS, hostname: HOST });
  worker = await startWorker({
    port: 0,
    persistDir: dir,
    adminToken: token,
    ssrfAllowlist: "127.0.0.1",
    quiet: true,
    // "log" keeps the worker's own console lines (the structured log) in the captured output.
    logLevel: "log",
    vars: {
      TURNSTILE_SITEVERIFY_URL: siteverify.url("turnstile"),
      HCAPTCHA_SITEVERIFY_URL: siteverify.url("hcaptcha"),
      RECAPTCHA_SITEVERIFY_URL: siteverify.url("recaptcha"),
    },
  });
});

after(async () => {
  await worker?.stop();
  for (const r of receivers) await r.close();
  await siteverify?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("each provider's success path delivers with the verdict in the signed event", () => {
  for (const provider of ["turnstile", "hcaptcha", "recaptcha"]) {
    test(provider, async () => {
      const id = `ok-${provider}`;
      const { form, receiver: r } = await setup(id, provider);
      assert.equal(form.captcha.secret_set, true);
      assert.equal(form.captcha.provider, provider);
      assert.equal(JSON.stringify(form).includes(SECRETS[provider]), false);
      const field = form.captcha.token_field;
      const t = tok("ok");
      const before = siteverify.calls.length;
      const res = await submit(id, { name: "Ada", [field]: t, "g-recaptcha-response": t });
      assert.equal(res.status, 201, res.text);
      const [got] = await r.waitFor(() => true);
      assert.equal(got.verified, true, got.error);
      assert.deepEqual(got.json.submission.data, { name: "Ada" }, "the token fields are not data");
      const verdict = got.json.submission.meta.captcha;
      const expected = { provider, success: true, hostname: HOST };
      if (provider === "turnstile") expected.action = "contact";
      if (provider === "recaptcha") Object.assign(expected, { action: "submit", score: 0.9 });
      assert.deepEqual(verdict, expected);
      assert.deepEqual(Object.keys(got.json.submission.meta), ["ip", "country", "user_agent", "referer", "captcha"]);

      // What siteverify received: the form's secret, the token, the client's IP, and per provider
      // Turnstile's idempotency key or hCaptcha's site key.
      const calls = siteverify.calls.slice(before);
      assert.equal(calls.length, 1);
      const { params, contentType } = calls[0];
      assert.equal(contentType, "application/x-www-form-urlencoded");
      assert.equal(params.secret, SECRETS[provider]);
      assert.equal(params.response, t);
      const ip = (await stored(id))[0].meta.ip;
      if (ip !== "unknown") assert.equal(params.remoteip, ip);
      if (provider === "turnstile") assert.match(params.idempotency_key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      else assert.equal(params.idempotency_key, undefined);
      if (provider === "hcaptcha") assert.equal(params.sitekey, captchas.hcaptcha.site_key);
      else assert.equal(params.sitekey, undefined);

      // The public widget description carries the site key, never the secret.
      const widget = await fetch(`${worker.url}/f/${id}/captcha`);
      const text = await widget.text();
      seen.push({ path: `/f/${id}/captcha`, status: widget.status, text, headers: "" });
      assert.equal(widget.status, 200);
      const w = JSON.parse(text);
      assert.equal(w.site_key, captchas[provider].site_key);
      assert.equal(w.token_field, field);
      assert.equal(w.invisible, provider === "recaptcha");
    });
  }

  test("a form without a captcha needs no token and its payload has no captcha key", async () => {
    const r = await receiver();
    await api("POST", "/api/forms", { id: "plain", rate_limit_per_minute: 0 });
    const ep = await api("POST", "/api/forms/plain/endpoints", { url: r.url });
    r.setSecrets(ep.json.secret);
    assert.equal((await submit("plain", { a: "1" })).status, 201);
    const [got] = await r.waitFor(() => true);
    assert.deepEqual(Object.keys(got.json.submission.meta), ["ip", "country", "user_agent", "referer"]);
    assert.equal((await fetch(`${worker.url}/f/plain/captcha`)).status, 404);
  });
});

describe("failed tokens are refused and nothing is stored", () => {
  test("missing, duplicate, wrong hostname, wrong action, low score", async () => {
    const { receiver: tr } = await setup("fail-t", "turnstile");
    const { receiver: rr } = await setup("fail-r", "recaptcha");
    const cases = [
      ["fail-t", {}, 403, "captcha_required", ["missing-input-response"]],
      ["fail-t", { "cf-turnstile-response": "" }, 403, "captcha_required", ["missing-input-response"]],
      ["fail-t", { "cf-turnstile-response": tok("host=evil.example") }, 403, "captcha_failed", ["hostname-mismatch"]],
      ["fail-t", { "cf-turnstile-response": tok("action=login") }, 403, "captcha_failed", ["action-mismatch"]],
      ["fail-t", { "cf-turnstile-response": "x".repeat(2049) }, 403, "captcha_failed", ["invalid-input-response"]],
      ["fail-r", { "g-recaptcha-response": tok("score=0.1") }, 403, "captcha_failed", ["score-too-low"]],
      ["fail-r", { "g-recaptcha-response": tok("action=signup") }, 403, "captcha_failed", ["action-mismatch"]],
    ];
    for (const [form, fields, status, code, codes] of cases) {
      const res = await submit(form, { name: "Bot", ...fields });
      assert.equal(res.status, status, `${JSON.stringify(fields).slice(0, 80)}: ${res.text}`);
      assert.equal(res.json.ok, false);
      assert.equal(res.json.error.code, code);
      assert.deepEqual(res.json.error.error_codes, codes);
      assert.ok(res.json.error.message.length > 10);
    }
    // A token used twice: the first post is accepted, the second refused with the provider's code.
    // (The second post differs, or it would be answered as a duplicate of the first: a
    // double-click repeats the token too.)
    const once = tok("ok");
    assert.equal((await submit("fail-t", { "cf-turnstile-response": once })).status, 201);
    const dup = await submit("fail-t", { "cf-turnstile-response": once, name: "Bot again" });
    assert.equal(dup.status, 403);
    assert.equal(dup.json.error.code, "captcha_failed");
    assert.deepEqual(dup.json.error.error_codes, ["timeout-or-duplicate"]);
    assert.match(dup.json.error.message, /expired or was already used/);

    assert.equal((await stored("fail-t")).length, 1, "only the accepted post is stored");
    assert.equal((await stored("fail-r")).length, 0);
    await tr.waitFor(() => true);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(tr.requests.length, 1);
    assert.equal(rr.requests.length, 0);
  });

  test("an HTML post gets a page that says what failed and links back, with no script", async () => {
    await setup("fail-html", "hcaptcha");
    const res = await new Promise((resolve, reject) => {
      const req = http.request(`${worker.url}/f/fail-html`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html", "sec-fetch-mode": "navigate", referer: "https://site.example/contact?x=1&y=2" },
      }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.end(`name=Ada&h-captcha-response=${encodeURIComponent(tok("host=elsewhere.example"))}`);
    });
    assert.equal(res.status, 403);
    assert.match(res.headers["content-type"], /text\/html/);
    assert.match(res.body, /<h1>Spam check not passed<\/h1>/);
    assert.match(res.body, /hCaptcha did not pass: the check was solved on a site this form does not expect/);
    assert.match(res.body, /<a id="back" href="https:\/\/site\.example\/contact\?x=1&amp;y=2">Back to the form<\/a>/);
    // One inline script (the Back link's history.back()), allowed by its hash; no handlers.
    assert.doesNotMatch(res.body, /javascript:|\son\w+=/i);
    assert.equal(res.body.match(/<script/g).length, 1);
    assert.match(res.headers["content-security-policy"], /default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*';/);
    assert.equal((await stored("fail-html")).length, 0);
  });
});

describe("siteverify unavailable", () => {
  test("on_error reject (the default): 503 with Retry-After, nothing stored", async () => {
    await setup("down-reject", "turnstile");
    for (const [kind, code] of [["malformed", "siteverify-malformed"], ["500", "siteverify-server-error"], ["internal", "siteverify-internal-error"], ["hang", "siteverify-timeout"]]) {
      const started = Date.now();
      const res = await submit("down-reject", { "cf-turnstile-response": tok(kind) });
      assert.equal(res.status, 503, `${kind}: ${res.text}`);
      assert.equal(res.headers.get("retry-after"), "30");
      assert.equal(res.json.error.code, "captcha_unavailable");
      assert.deepEqual(res.json.error.error_codes, [code]);
      if (kind === "hang") assert.ok(Date.now() - started < 15_000, "the siteverify deadline is short");
    }
    assert.equal((await stored("down-reject")).length, 0);
    // Turnstile was asked twice after its 500 (and after its malformed answer, only once), with
    // the same idempotency key: the documented way to retry safely.
    const of = (kind) => siteverify.calls.filter((c) => c.params.response?.startsWith(`${kind}#`) && c.provider === "turnstile");
    const fivehundred = of("500");
    assert.equal(fivehundred.length, 2);
    assert.equal(fivehundred[0].params.idempotency_key, fivehundred[1].params.idempotency_key);
    assert.equal(of("malformed").length, 1);
  });

  test("keys the provider refuses are the owner's problem: unavailable, not the visitor's failure", async () => {
    await setup("bad-keys", "hcaptcha", { secret: "0x-not-the-right-secret" });
    const res = await submit("bad-keys", { "h-captcha-response": tok("ok") });
    assert.equal(res.status, 503);
    assert.deepEqual(res.json.error.error_codes, ["siteverify-keys-refused"]);
  });

  test("on_error accept_as_spam: stored as spam (captcha_unavailable), not delivered; marking it not spam delivers it", async () => {
    const { receiver: r } = await setup("down-spam", "recaptcha", { on_error: "accept_as_spam" });
    const res = await submit("down-spam", { name: "Maybe human", "g-recaptcha-response": tok("500") });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.spam, true);
    const ok = await submit("down-spam", { name: "Human", "g-recaptcha-response": tok("ok") });
    assert.equal(ok.json.spam, false);
    await r.waitFor((q) => q.json.submission.id === ok.json.id);

    const spam = await stored("down-spam", "&spam=true");
    assert.deepEqual(spam.map((s) => s.id), [res.json.id]);
    assert.equal(spam[0].spam_reason, "captcha_unavailable");
    assert.deepEqual(spam[0].data, { name: "Maybe human" });
    assert.deepEqual(spam[0].meta.captcha, { provider: "recaptcha", success: false, hostname: null, error_codes: ["siteverify-server-error"] });
    assert.deepEqual((await stored("down-spam", "&spam=false")).map((s) => s.id), [ok.json.id]);
    assert.equal((await stored("down-spam")).length, 2);
    assert.equal((await api("GET", "/api/forms/down-spam/submissions?spam=maybe")).status, 422);
    assert.equal(r.requests.filter((q) => q.json.submission.id === res.json.id).length, 0, "spam is not delivered");

    const released = await api("POST", `/api/forms/down-spam/submissions/${res.json.id}/not-spam`);
    assert.equal(released.status, 200, JSON.stringify(released.json));
    assert.equal(released.json.submission.spam, false);
    assert.equal(released.json.submission.spam_reason, null);
    assert.equal(released.json.endpoints.length, 1);
    const [got] = await r.waitFor((q) => q.json.submission.id === res.json.id);
    assert.equal(got.verified, true);
    assert.deepEqual(got.json.submission.meta.captcha.error_codes, ["siteverify-server-error"]);
    // Marking it again hands nothing on.
    const again = await api("POST", `/api/forms/down-spam/submissions/${res.json.id}/not-spam`);
    assert.deepEqual(again.json.endpoints, []);
    assert.equal((await stored("down-spam", "&spam=true")).length, 0);
    assert.equal((await api("POST", "/api/forms/down-spam/submissions/sub_nope/not-spam")).status, 404);
  });

  test("the honeypot records its reason too", async () => {
    await api("POST", "/api/forms", { id: "honey-reason", rate_limit_per_minute: 0 });
    const res = await submit("honey-reason", { name: "Bot", _gotcha: "filled" });
    assert.equal(res.json.spam, true);
    const [s] = await stored("honey-reason", "&spam=true");
    assert.equal(s.spam_reason, "honeypot");
  });
});

describe("settings", () => {
  test("the secret is write-only; a PATCH keeps it; bad fields are 422 naming them; null removes the captcha", async () => {
    await setup("settings", "turnstile");
    const patched = await api("PATCH", "/api/forms/settings", { captcha: { expected_hostnames: ["*.example.com"], on_error: "accept_as_spam" } });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    assert.deepEqual(patched.json.captcha.expected_hostnames, ["*.example.com"]);
    assert.equal(patched.json.captcha.secret_set, true);
    assert.equal("secret" in patched.json.captcha, false);
    // The kept secret still verifies (the siteverify server checks it).
    assert.equal((await submit("settings", { "cf-turnstile-response": tok("ok") })).status, 201);
    for (const [body, message] of [
      [{ captcha: { min_score: 0.5 } }, /captcha\.min_score/],
      [{ captcha: { provider: "hcaptcha" } }, /captcha\.secret/],
      [{ captcha: { expected_hostnames: ["not a host"] } }, /captcha\.expected_hostnames/],
    ]) {
      const res = await api("PATCH", "/api/forms/settings", body);
      assert.equal(res.status, 422, JSON.stringify(res.json));
      assert.match(res.json.error.message, message);
    }
    assert.equal((await api("PATCH", "/api/forms/settings", { captcha: { provider: "other" } })).status, 422);
    assert.equal((await api("PATCH", "/api/forms/settings", { captcha: { colour: "red" } })).status, 422);
    const removed = await api("PATCH", "/api/forms/settings", { captcha: null });
    assert.equal(removed.json.captcha, null);
    assert.equal((await submit("settings", { a: "1" })).status, 201);
  });
});

test("no secret appears in any response or log line", async () => {
  const output = await eventually(() => worker.output() || false, 5000, "worker output");
  assert.match(output, /captcha_unavailable/, "the log has the unavailable lines to search");
  for (const secret of Object.values(SECRETS)) {
    for (const r of seen) {
      assert.equal(r.text.includes(secret) || r.headers.includes(secret), false, `${r.path} (${r.status}) shows a secret`);
    }
    assert.equal(output.includes(secret), false, "the log shows a secret");
  }
  assert.ok(seen.length > 40);
});
