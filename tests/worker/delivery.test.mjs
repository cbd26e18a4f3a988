// End to end: the real worker in workerd (wrangler dev), real receivers on 127.0.0.1, every
// delivery verified with the built npm package.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { Webhook } from "../../pkg/dist/node.mjs";
import { eventually, startReceiver } from "./receiver.mjs";

let worker;
let dir;
const token = randomBytes(16).toString("hex");
const receivers = [];

const api = adminApi(() => worker.url, token);

async function receiver(options) {
  const r = await startReceiver(options);
  receivers.push(r);
  return r;
}

/** A form plus one endpoint per receiver; each receiver learns its endpoint's secret. */
async function setup(id, endpoints, formOptions = {}) {
  const form = await api("POST", "/api/forms", { id, rate_limit_per_minute: 0, ...formOptions });
  assert.equal(form.status, 201, JSON.stringify(form.json));
  const created = [];
  for (const [r, options] of endpoints) {
    const ep = await api("POST", `/api/forms/${id}/endpoints`, { url: r.url, ...options });
    assert.equal(ep.status, 201, JSON.stringify(ep.json));
    // A generated secret is whsec_ + base64 of 24 random bytes; a given one comes back as given.
    if (options.secret) assert.equal(ep.json.secret, options.secret);
    else assert.match(ep.json.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    r.setSecrets(ep.json.secret);
    created.push(ep.json);
  }
  return created;
}

function submit(form, body, headers = { "content-type": "application/x-www-form-urlencoded" }, accept = "application/json") {
  return fetch(`${worker.url}/f/${form}`, { method: "POST", body, headers: { accept, ...headers }, redirect: "manual" });
}

const deliveries = async (form, ep) => (await api("GET", `/api/forms/${form}/endpoints/${ep}/deliveries`)).json.data;
const attempts = async (form, ep) => (await api("GET", `/api/forms/${form}/endpoints/${ep}/attempts?limit=200`)).json.data;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-e2e-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
});

after(async () => {
  await worker?.stop();
  for (const r of receivers) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("happy path for each body type", () => {
  test("urlencoded: HTML post → 303, signed delivery with every header", async () => {
    const r = await receiver();
    const [ep] = await setup("urlenc", [[r, { headers: { "X-Api-Key": "k-123" } }]], { redirect_url: "https://example.com/thanks" });
    const res = await submit("urlenc", "name=Ada+Lovelace&email=ada%40example.com&tags=a&tags=b", { "content-type": "application/x-www-form-urlencoded" }, "text/html");
    // Node's fetch sends Sec-Fetch-Mode: cors, which asks for JSON; a navigation would get 303.
    assert.equal(res.status, 201);
    const [got] = await r.waitFor(() => true);
    assert.equal(got.verified, true, got.error);
    assert.equal(got.headers["content-type"], "application/json");
    assert.match(got.headers["user-agent"], /^formhook\/\d+\.\d+\.\d+$/);
    assert.match(got.headers["webhook-id"], /^msg_/);
    assert.match(got.headers["webhook-timestamp"], /^\d+$/);
    assert.match(got.headers["webhook-signature"], /^v1,[A-Za-z0-9+/]+=*$/);
    assert.equal(got.headers["x-formhook-event"], "form.submission.created");
    assert.match(got.headers["x-formhook-delivery"], /^att_/);
    assert.equal(got.headers["x-formhook-attempt"], "1");
    assert.equal(got.headers["x-api-key"], "k-123");
    assert.equal(got.json.type, "form.submission.created");
    assert.equal(got.json.id, got.headers["webhook-id"]);
    assert.deepEqual(got.json.form, { id: "urlenc", name: "urlenc" });
    assert.deepEqual(got.json.submission.data, { name: "Ada Lovelace", email: "ada@example.com", tags: ["a", "b"] });
    const log = await eventually(async () => {
      const list = await deliveries("urlenc", ep.id);
      return list[0]?.status === "delivered" && list;
    }, 10_000, "delivered status");
    assert.equal(log.length, 1);
  });

  test("an HTML navigation post gets 303 to the redirect URL, or to /thanks", async () => {
    await setup("redir", [], { redirect_url: "https://example.com/thanks" });
    await setup("noredir", []);
    const post = (form) =>
      new Promise((resolve, reject) => {
        const req = http.request(`${worker.url}/f/${form}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html", "sec-fetch-mode": "navigate" } }, (res) => {
          res.resume();
          res.on("end", () => resolve(res));
        });
        req.on("error", reject);
        req.end("a=1");
      });
    const a = await post("redir");
    assert.equal(a.statusCode, 303);
    assert.equal(a.headers.location, "https://example.com/thanks");
    const b = await post("noredir");
    assert.equal(b.statusCode, 303);
    assert.equal(b.headers.location, "/thanks?form=noredir");
    const page = await fetch(`${worker.url}/thanks?form=noredir`);
    assert.match(await page.text(), /Thank you/);
  });

  test("multipart with a file: metadata and sha256 in the event, bytes downloadable", async () => {
    const r = await receiver();
    await setup("multi", [[r, {}]]);
    const fd = new FormData();
    fd.append("name", "Grace");
    const bytes = randomBytes(3000);
    fd.append("cv", new Blob([bytes], { type: "application/pdf" }), "cv.pdf");
    const res = await submit("multi", fd, {});
    assert.equal(res.status, 201);
    const { id } = await res.json();
    const [got] = await r.waitFor(() => true);
    assert.equal(got.verified, true);
    assert.deepEqual(got.json.submission.data, { name: "Grace" });
    const { url, ...described } = got.json.submission.files[0];
    assert.equal(got.json.submission.files.length, 1);
    assert.deepEqual(described, { field: "cv", filename: "cv.pdf", name: "cv.pdf", content_type: "application/pdf", size: 3000, sha256: createHash("sha256").update(bytes).digest("hex") });
    assert.match(url, new RegExp(`^${worker.url}/files/multi/${id}/0\\?exp=\\d+&sig=[0-9a-f]{64}$`));
    const file = await fetch(`${worker.url}/api/forms/multi/submissions/${id}/files/0`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(file.status, 200);
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), bytes);
  });

  test("JSON body: 201 {ok, id} with CORS for an allowed origin", async () => {
    const r = await receiver();
    await setup("json", [[r, {}]], { allowed_origins: ["https://site.example"] });
    const res = await submit("json", JSON.stringify({ email: "x@example.com", answers: { q1: 3 } }), { "content-type": "application/json", origin: "https://site.example" });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("access-control-allow-origin"), "https://site.example");
    const body = await res.json();
    assert.equal(body.ok, true);
    assert.match(body.id, /^sub_/);
    const [got] = await r.waitFor(() => true);
    assert.equal(got.json.submission.id, body.id);
    assert.deepEqual(got.json.submission.data, { email: "x@example.com", answers: { q1: 3 } });
    const pre = await fetch(`${worker.url}/f/json`, { method: "OPTIONS", headers: { origin: "https://site.example", "access-control-request-method": "POST" } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "https://site.example");
    assert.match(pre.headers.get("access-control-allow-methods"), /POST/);
    const denied = await fetch(`${worker.url}/f/json`, { method: "OPTIONS", headers: { origin: "https://other.example" } });
    assert.equal(denied.headers.get("access-control-allow-origin"), null);
  });

  test("a form on a windows-1252 page: its bytes are decoded by the form's charset and the event says so", async () => {
    const r = await receiver();
    await setup("legacy", [[r, {}]], { charset: "latin1" });
    const form = await api("GET", "/api/forms/legacy");
    assert.equal(form.json.charset, "windows-1252", "the label is stored by its WHATWG name");
    // "café" as a windows-1252 page submits it: é is the single byte 0xE9 (%E9).
    const res = await submit("legacy", "name=caf%E9");
    assert.equal(res.status, 201);
    const [got] = await r.waitFor(() => true);
    assert.deepEqual(got.json.submission.data, { name: "café" });
    assert.equal(got.json.submission.meta.charset, "windows-1252");
    // A UTF-8 form refuses the same bytes rather than garbling them.
    await setup("utf8form", []);
    const refused = await submit("utf8form", "name=caf%E9");
    assert.equal(refused.status, 400);
    assert.equal((await refused.json()).error.code, "invalid_utf8");
    assert.equal((await api("PATCH", "/api/forms/legacy", { charset: "klingon" })).status, 422);
  });

  test("payload shapes: flat and answers", async () => {
    const flat = await receiver();
    const answers = await receiver();
    await setup("shapes", [[flat, { payload_shape: "flat" }], [answers, { payload_shape: "answers" }]]);
    await submit("shapes", "email=a%40b.c&rating=5");
    const [f] = await flat.waitFor(() => true);
    const [a] = await answers.waitFor(() => true);
    assert.equal(f.verified && a.verified, true);
    assert.equal(f.json.form_id, "shapes");
    assert.deepEqual(f.json.data, { email: "a@b.c", rating: "5" });
    assert.equal(a.json.event, "form.response.completed");
    assert.deepEqual(a.json.answers, [{ question: "email", answer: "a@b.c" }, { question: "rating", answer: "5" }]);
  });

  test("a compatibility scheme: GitHub-style signature", async () => {
    const r = await receiver({ scheme: "github" });
    const [ep] = await setup("gh", [[r, { scheme: "github" }]]);
    r.setSecrets(ep.secret);
    await submit("gh", "a=1");
    const [got] = await r.waitFor(() => true);
    assert.match(got.headers["x-hub-signature-256"], /^sha256=[0-9a-f]{64}$/);
    assert.equal(got.verified, true, got.error);
  });

  test("honeypot: stored as spam, not delivered", async () => {
    const r = await receiver();
    const [ep] = await setup("honey", [[r, {}]]);
    const spam = await (await submit("honey", "name=Bot&_gotcha=buy+now")).json();
    const ham = await (await submit("honey", "name=Human&_gotcha=")).json();
    assert.equal(spam.spam, true);
    assert.equal(ham.spam, false);
    await r.waitFor((q) => q.json.submission.id === ham.id);
    assert.equal(r.requests.filter((q) => q.json.submission.id === spam.id).length, 0);
    // Nothing guarantees a spam delivery would have come before the ham one: the endpoint's
    // records say only the ham submission was ever queued.
    const queued = await eventually(async () => {
      const list = await deliveries("honey", ep.id);
      return list.length > 0 && list.every((d) => d.status === "delivered") && list;
    }, 10_000, "the ham delivery recorded");
    assert.deepEqual(queued.map((d) => d.submission_id), [ham.id]);
    const stored = await api("GET", `/api/forms/honey/submissions/${spam.id}`);
    assert.equal(stored.json.spam, true);
    assert.deepEqual(stored.json.data, { name: "Bot" });
  });
});

describe("retries and endpoint health", () => {
  test("fan-out to 3 endpoints: one always fails, the other two get theirs once, unaffected", async () => {
    const good1 = await receiver();
    const good2 = await receiver();
    const bad = await receiver({ respond: () => ({ status: 500, body: "always down" }) });
    const [, , badEp] = await setup("fan", [[good1, {}], [good2, {}], [bad, { retry_schedule: [0, 300, 300, 300] }]]);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await (await submit("fan", `n=${i}`)).json()).id);
    await good1.waitForCount(() => true, 5);
    await good2.waitForCount(() => true, 5);
    await bad.waitForCount(() => true, 20);
    for (const g of [good1, good2]) {
      assert.deepEqual(g.requests.map((q) => q.json.submission.id).sort(), [...ids].sort());
      assert.ok(g.requests.every((q) => q.verified && q.headers["x-formhook-attempt"] === "1"));
    }
    // `every` holds for an empty list too: the five deliveries must be listed, each failed.
    await eventually(async () => {
      const list = await deliveries("fan", badEp.id);
      return list.length === 5 && list.every((d) => d.status === "failed");
    }, 15_000, "bad endpoint gives up");
    const log = await attempts("fan", badEp.id);
    assert.equal(log.length, 20);
    assert.ok(log.every((a) => a.status === 500 && a.outcome === "failed" && a.response_excerpt === "always down"));
  });

  test("failing then succeeding receiver gets the retries with the same webhook-id", async () => {
    const r = await receiver({ respond: (_, n) => ({ status: n <= 2 ? 500 : 200 }) });
    const [ep] = await setup("retry", [[r, { retry_schedule: [0, 300, 600] }]]);
    await submit("retry", "a=1");
    const got = await r.waitForCount(() => true, 3);
    assert.deepEqual(got.map((q) => q.headers["x-formhook-attempt"]), ["1", "2", "3"]);
    assert.equal(new Set(got.map((q) => q.headers["webhook-id"])).size, 1);
    assert.equal(new Set(got.map((q) => q.headers["x-formhook-delivery"])).size, 3);
    assert.ok(got.every((q) => q.verified));
    const [d] = await eventually(async () => {
      const list = await deliveries("retry", ep.id);
      return list[0]?.status === "delivered" && list;
    });
    assert.equal(d.attempts, 3);
    const detail = await api("GET", `/api/forms/retry/endpoints/${ep.id}/deliveries/${d.id}`);
    assert.deepEqual(detail.json.attempt_log.map((a) => [a.attempt, a.status, a.outcome]), [[1, 500, "failed"], [2, 500, "failed"], [3, 200, "delivered"]]);
    assert.ok(detail.json.attempt_log[0].next_attempt_at);
    assert.ok(detail.json.attempt_log.every((a) => Number.isInteger(a.latency_ms) && a.latency_ms >= 0));
  });

  test("the attempt log pages newest first across attempts delivered at once and retried ones", async () => {
    // The first request fails: that delivery's attempts go to the log table; the others are
    // delivered at the first try and kept in their delivery's row. One log, one order.
    const r = await receiver({ respond: (_, n) => ({ status: n === 1 ? 500 : 200, body: `answer ${n}` }) });
    const [ep] = await setup("log", [[r, { retry_schedule: [0, 300] }]]);
    await submit("log", "n=0");
    await r.waitForCount(() => true, 2);
    for (let i = 1; i < 3; i++) {
      await submit("log", `n=${i}`);
      await r.waitForCount(() => true, i + 2);
    }
    const full = await eventually(async () => {
      const list = await attempts("log", ep.id);
      return list.length === 4 && list;
    }, 15_000, "four attempts logged");
    assert.deepEqual(full.map((a) => a.id), full.map((a) => a.id).sort().reverse(), "newest first");
    assert.deepEqual(
      full.map((a) => [a.attempt, a.status, a.outcome]).sort(),
      [[1, 200, "delivered"], [1, 200, "delivered"], [1, 500, "failed"], [2, 200, "delivered"]],
    );
    // Each attempt is the request the receiver got (its id is the `x-formhook-delivery` header).
    assert.deepEqual(full.map((a) => a.id).sort(), r.requests.map((q) => q.headers["x-formhook-delivery"]).sort());
    for (const a of full) {
      const sent = r.requests.find((q) => q.headers["x-formhook-delivery"] === a.id);
      assert.equal(a.response_excerpt, `answer ${r.requests.indexOf(sent) + 1}`);
    }
    const paged = [];
    let cursor = "";
    for (let page = 0; page < 6; page++) {
      const res = await api("GET", `/api/forms/log/endpoints/${ep.id}/attempts?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      assert.equal(res.status, 200, res.text);
      paged.push(...res.json.data);
      if (!res.json.next_cursor) break;
      cursor = res.json.next_cursor;
    }
    assert.deepEqual(paged, full);
    // A delivery's own log: its attempts with the exact request each sent.
    for (const d of await deliveries("log", ep.id)) {
      const detail = (await api("GET", `/api/forms/log/endpoints/${ep.id}/deliveries/${d.id}`)).json;
      assert.deepEqual(detail.attempt_log.map((a) => a.id), full.filter((a) => a.delivery_id === d.id).map((a) => a.id).reverse());
      for (const a of detail.attempt_log) {
        const sent = r.requests.find((q) => q.headers["x-formhook-delivery"] === a.id);
        assert.equal(a.request.url, r.url);
        assert.equal(Object.fromEntries(a.request.headers)["webhook-signature"], sent.headers["webhook-signature"]);
      }
    }
  });

  test("410 disables the endpoint and an endpoint.disabled event reaches another endpoint", async () => {
    const gone = await receiver({ respond: () => ({ status: 410 }) });
    const watcher = await receiver();
    const [goneEp, watcherEp] = await setup("gone", [[gone, { retry_schedule: [0, 200, 200] }], [watcher, {}]]);
    await submit("gone", "a=1");
    const [event] = await watcher.waitFor((q) => q.json.type === "endpoint.disabled");
    assert.equal(event.verified, true);
    assert.equal(event.json.data.endpoint_id, goneEp.id);
    assert.match(event.json.data.reason, /410/);
    const ep = await api("GET", `/api/forms/gone/endpoints/${goneEp.id}`);
    assert.equal(ep.json.enabled, false);
    assert.match(ep.json.disabled_reason, /410/);
    assert.equal(gone.requests.length, 1, "no retry after 410");
    // A retry would come 200 ms later, after the check above: the delivery's own record says none
    // is due (failed after one attempt).
    const [first] = await eventually(async () => {
      const list = await deliveries("gone", goneEp.id);
      return list.length === 1 && list[0].status !== "pending" && list;
    }, 10_000, "the 410 delivery settled");
    assert.deepEqual([first.status, first.attempts], ["failed", 1]);
    // Disabled: new submissions are logged as skipped, not sent.
    await submit("gone", "a=2");
    await eventually(async () => (await deliveries("gone", goneEp.id)).some((d) => d.status === "skipped"), 10_000, "skipped delivery");
    assert.equal(gone.requests.length, 1);
    // The watcher is untouched: still enabled, it got both submissions and one disabled event.
    const w = await api("GET", `/api/forms/gone/endpoints/${watcherEp.id}`);
    assert.equal(w.json.enabled, true);
    await watcher.waitForCount((q) => q.json.type === "form.submission.created", 2);
    assert.equal(watcher.requests.filter((q) => q.json.type === "endpoint.disabled").length, 1);
  });

  test("failing without a break for disable_after_seconds disables the endpoint and tells the others", async () => {
    const down = await receiver({ respond: () => ({ status: 500 }) });
    const watcher = await receiver();
    const [downEp] = await setup("window", [[down, { retry_schedule: [0], disable_after_seconds: 1 }], [watcher, { events: ["endpoint.disabled"] }]]);
    // One failing message after another: the endpoint has failed without a break for over 1 s
    // by the fifth or sixth.
    for (let i = 0; i < 10 && !watcher.requests.length; i++) {
      await submit("window", `n=${i}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const [event] = await watcher.waitFor((q) => q.json.type === "endpoint.disabled");
    assert.equal(event.json.data.endpoint_id, downEp.id);
    assert.match(event.json.data.reason, /failed for 1 s/);
    const ep = await api("GET", `/api/forms/window/endpoints/${downEp.id}`);
    assert.equal(ep.json.enabled, false);
    const attemptsWhenDisabled = down.requests.length;
    assert.ok(attemptsWhenDisabled >= 3, `${attemptsWhenDisabled} failed attempts before disabling`);
    await submit("window", "after");
    await eventually(async () => (await deliveries("window", downEp.id)).some((d) => d.status === "skipped"), 10_000, "skipped delivery");
    assert.equal(down.requests.length, attemptsWhenDisabled, "nothing sent once disabled");
    // The watcher subscribed to endpoint.disabled only: the submission itself never reached it.
    assert.equal(watcher.requests.filter((q) => q.json.type === "form.submission.created").length, 0);
  });

  test("a slow receiver times out and is retried", async () => {
    const r = await receiver({ respond: (_, n) => (n === 1 ? { delay: 3000, status: 200 } : { status: 200 }) });
    const [ep] = await setup("slow", [[r, { timeout_ms: 500, retry_schedule: [0, 200] }]]);
    await submit("slow", "a=1");
    await r.waitForCount(() => true, 2);
    const log = await eventually(async () => {
      const list = await attempts("slow", ep.id);
      return list.length >= 2 && list;
    });
    const first = log.find((a) => a.attempt === 1);
    assert.equal(first.outcome, "timeout");
    assert.equal(first.status, null);
    assert.match(first.error, /500 ms/);
    assert.equal(log.find((a) => a.attempt === 2).outcome, "delivered");
  });

  test("429 with Retry-After is throttled, then delivered", async () => {
    const r = await receiver({ respond: (_, n) => (n === 1 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 }) });
    const [ep] = await setup("throttle", [[r, { retry_schedule: [0, 100], throttle_floor_ms: 200 }]]);
    await submit("throttle", "a=1");
    await r.waitForCount(() => true, 2);
    const log = await eventually(async () => {
      const list = await attempts("throttle", ep.id);
      return list.length >= 2 && list;
    });
    const first = log.find((a) => a.attempt === 1);
    assert.equal(first.outcome, "throttled");
    // The retry was scheduled by Retry-After (1 s), not by the 100 ms schedule or the 200 ms floor.
    const scheduledAfter = Date.parse(first.next_attempt_at) - Date.parse(first.started_at) - first.latency_ms;
    assert.ok(scheduledAfter >= 1000, `retry scheduled ${scheduledAfter} ms after the answer`);
  });

  test("redirects are not followed", async () => {
    const r = await receiver({ respond: () => ({ status: 302, headers: { location: "http://127.0.0.1:9/elsewhere" } }) });
    const [ep] = await setup("redirect", [[r, { retry_schedule: [0] }]]);
    await submit("redirect", "a=1");
    await r.waitFor(() => true);
    const log = await eventually(async () => (await attempts("redirect", ep.id))[0]);
    assert.equal(log.status, 302);
    assert.equal(log.outcome, "failed");
  });
});

describe("rotation, replay, test events, pagination", () => {
  test("rotation: deliveries carry two signatures, one per secret", async () => {
    const r = await receiver();
    const [ep] = await setup("rotate", [[r, {}]]);
    const oldSecret = ep.secret;
    const rotated = await api("POST", `/api/forms/rotate/endpoints/${ep.id}/rotate-secret`, { grace_period_seconds: 3600 });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.json.secret, oldSecret);
    assert.ok(Date.parse(rotated.json.previous_secret_expires_at) > Date.now());
    await submit("rotate", "a=1");
    const [got] = await r.waitFor(() => true);
    const signatures = got.headers["webhook-signature"].split(" ");
    assert.equal(signatures.length, 2);
    for (const secret of [oldSecret, rotated.json.secret]) {
      assert.deepEqual(new Webhook(secret).verify(got.body, got.headers), got.json);
    }
    assert.equal((await api("GET", `/api/forms/rotate/endpoints/${ep.id}`)).json.secret_count, 2);
  });

  test("replay creates a new delivery and attempt with the same webhook-id; test events arrive", async () => {
    const a = await receiver();
    const b = await receiver();
    const [epA, epB] = await setup("replay", [[a, {}], [b, {}]]);
    const { id } = await (await submit("replay", "a=1")).json();
    const [first] = await a.waitFor(() => true);
    await b.waitFor(() => true);
    const one = await api("POST", `/api/forms/replay/submissions/${id}/replay`, { endpoint_id: epA.id });
    assert.equal(one.status, 202);
    assert.deepEqual(one.json.endpoints, [epA.id]);
    const again = await a.waitForCount(() => true, 2);
    assert.equal(again[1].headers["webhook-id"], first.headers["webhook-id"]);
    assert.notEqual(again[1].headers["x-formhook-delivery"], first.headers["x-formhook-delivery"]);
    const list = await eventually(async () => {
      const d = await deliveries("replay", epA.id);
      return d.length === 2 && d.every((x) => x.status === "delivered") && d;
    });
    assert.deepEqual(list.map((d) => d.replay).sort(), [false, true]);
    const all = await api("POST", `/api/forms/replay/submissions/${id}/replay`, {});
    assert.deepEqual(all.json.endpoints.sort(), [epA.id, epB.id].sort());
    await b.waitForCount(() => true, 2);
    const t = await api("POST", `/api/forms/replay/endpoints/${epB.id}/test`);
    assert.equal(t.status, 202);
    const [testEvent] = await b.waitFor((q) => q.json.type === "endpoint.test");
    assert.equal(testEvent.verified, true);
    assert.equal(testEvent.headers["webhook-id"], t.json.message_id);
    assert.equal(testEvent.json.data.endpoint_id, epB.id);
    assert.equal((await api("POST", `/api/forms/replay/submissions/sub_nope/replay`, {})).status, 404);
  });

  test("submissions list paginates with a cursor, newest first", async () => {
    await setup("pages", []);
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push((await (await submit("pages", `n=${i}`)).json()).id);
    const seen = [];
    let cursor = "";
    for (let page = 0; page < 5; page++) {
      const res = await api("GET", `/api/forms/pages/submissions?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...res.json.data.map((s) => s.id));
      if (!res.json.next_cursor) break;
      cursor = res.json.next_cursor;
    }
    assert.deepEqual(seen, [...ids].reverse());
    assert.equal((await api("GET", "/api/forms/pages/submissions?limit=0")).status, 422);
  });

  test("OpenAPI document is served and lists the required routes", async () => {
    const res = await fetch(`${worker.url}/api/openapi.json`);
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.equal(doc.openapi, "3.1.0");
    for (const path of ["/api/forms", "/api/forms/{form_id}/endpoints", "/api/forms/{form_id}/submissions", "/api/forms/{form_id}/endpoints/{endpoint_id}/deliveries", "/api/forms/{form_id}/submissions/{submission_id}/replay", "/api/forms/{form_id}/endpoints/{endpoint_id}/test", "/api/forms/{form_id}/endpoints/{endpoint_id}/rotate-secret"]) {
      assert.ok(doc.paths[path], path);
    }
  });
});
