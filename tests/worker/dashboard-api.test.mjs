// The admin API behind the dashboard, end to end in workerd with real receivers on 127.0.0.1:
// submission search and filters, the CSV export, endpoint health (failing since, last error,
// counts that match the log), retry now / resend / replay all failed, and the request each
// attempt sent.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { Webhook } from "../../pkg/dist/node.mjs";
import { eventually, startReceiver } from "./receiver.mjs";
import { parseCsv } from "../browser/csv.mjs";

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

async function form(id, options = {}) {
  const res = await api("POST", "/api/forms", { id, rate_limit_per_minute: 0, ...options });
  assert.equal(res.status, 201, res.text);
}

async function endpoint(formId, r, options = {}) {
  const res = await api("POST", `/api/forms/${formId}/endpoints`, { url: r.url, ...options });
  assert.equal(res.status, 201, res.text);
  r.setSecrets(res.json.secret);
  return res.json;
}

async function submit(formId, fields) {
  const res = await fetch(`${worker.url}/f/${formId}`, {
    method: "POST",
    body: new URLSearchParams(fields),
    headers: { accept: "application/json" },
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).id;
}

const deliveries = async (formId, epId, query = "") => (await api("GET", `/api/forms/${formId}/endpoints/${epId}/deliveries?limit=200${query}`)).json.data;
const endpointView = async (formId, epId) => (await api("GET", `/api/forms/${formId}/endpoints/${epId}`)).json;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-dashboard-api-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
});

after(async () => {
  await worker?.stop();
  for (const r of receivers) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("submissions: search, filters, CSV", () => {
  const ids = {};
  before(async () => {
    await form("search");
    ids.ada = await submit("search", { name: "Ada Lovelace", email: "ada@example.com", message: "Call me at +1 555 0100" });
    ids.grace = await submit("search", { name: "Grace Hopper", email: "grace@example.com", message: "=HYPERLINK(\"http://evil.example\",\"x\")", note: "a, \"quoted\"\r\nline" });
    ids.spam = await submit("search", { name: "Bot", email: "bot@example.com", _gotcha: "filled" });
  });

  test("q finds the one submission holding the text, case-insensitively; spam and time filters narrow", async () => {
    const byEmail = await api("GET", "/api/forms/search/submissions?q=ADA%40example.com");
    assert.equal(byEmail.status, 200, byEmail.text);
    assert.deepEqual(byEmail.json.data.map((s) => s.id), [ids.ada]);
    const phone = await api("GET", `/api/forms/search/submissions?q=${encodeURIComponent("555 0100")}`);
    assert.deepEqual(phone.json.data.map((s) => s.id), [ids.ada]);
    // Field names are not values: "email" is in every submission's keys but in no value.
    assert.deepEqual((await api("GET", "/api/forms/search/submissions?q=email")).json.data, []);
    assert.deepEqual((await api("GET", "/api/forms/search/submissions?q=example.com&spam=false")).json.data.map((s) => s.id).sort(), [ids.ada, ids.grace].sort());
    assert.deepEqual((await api("GET", "/api/forms/search/submissions?spam=true")).json.data.map((s) => s.id), [ids.spam]);
    // A percent sign is matched as typed, not as a wildcard.
    assert.deepEqual((await api("GET", "/api/forms/search/submissions?q=%25")).json.data, []);

    const all = (await api("GET", "/api/forms/search/submissions")).json.data;
    const newest = Math.max(...all.map((s) => s.created_ms));
    const oldest = Math.min(...all.map((s) => s.created_ms));
    const later = await api("GET", `/api/forms/search/submissions?since=${newest + 1}`);
    assert.deepEqual(later.json.data, []);
    const iso = new Date(oldest).toISOString();
    assert.equal((await api("GET", `/api/forms/search/submissions?since=${encodeURIComponent(iso)}`)).json.data.length, 3);
    assert.deepEqual((await api("GET", `/api/forms/search/submissions?until=${encodeURIComponent(iso)}`)).json.data, []);
    const bad = await api("GET", "/api/forms/search/submissions?since=yesterday");
    assert.equal(bad.status, 422);
    assert.equal(bad.json.error.code, "invalid_field");
    assert.match(bad.json.error.message, /since/);
  });

  test("CSV: every field a column, RFC 4180 quoting, formulas neutralised, filters apply", async () => {
    const res = await api("GET", "/api/forms/search/submissions.csv");
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("content-type"), /^text\/csv/);
    assert.match(res.headers.get("content-disposition"), /attachment; filename="search-submissions.csv"/);
    const rows = parseCsv(res.text);
    const [header, ...data] = rows;
    assert.deepEqual(header, ["submission_id", "received_at", "spam", "name", "email", "message", "note", "files", "ip", "country", "user_agent", "referer"]);
    assert.equal(data.length, 3);
    const byId = Object.fromEntries(data.map((r) => [r[0], Object.fromEntries(header.map((h, i) => [h, r[i]]))]));
    assert.equal(byId[ids.ada].message, "Call me at +1 555 0100");
    assert.equal(byId[ids.grace].message, "'=HYPERLINK(\"http://evil.example\",\"x\")");
    assert.equal(byId[ids.grace].note, "a, \"quoted\"\r\nline");
    assert.equal(byId[ids.spam].spam, "honeypot");
    assert.equal(byId[ids.ada].spam, "");
    assert.equal(byId[ids.ada].note, "");
    // The same export through ?format=csv, narrowed by a search.
    const one = await api("GET", "/api/forms/search/submissions?format=csv&q=grace");
    const [h2, ...only] = parseCsv(one.text);
    assert.deepEqual(h2.slice(3, -5), ["name", "email", "message", "note"]);
    assert.deepEqual(only.map((r) => r[0]), [ids.grace]);
    assert.equal((await api("GET", "/api/forms/nope/submissions.csv")).status, 404);
  });

  test("CSV pages through more than one page of the form", async () => {
    await form("many");
    const sent = [];
    for (let i = 0; i < 205; i++) sent.push(await submit("many", { n: String(i) }));
    const rows = parseCsv((await api("GET", "/api/forms/many/submissions.csv")).text);
    assert.equal(rows.length, 206);
    assert.deepEqual(rows.slice(1).map((r) => r[0]).sort(), [...sent].sort());
  });
});

describe("endpoint health and delivery actions", () => {
  test("a failing endpoint shows failing_since and its last error; counts match the log", async () => {
    const r = await receiver({ respond: () => ({ status: 500, body: "database is down" }) });
    await form("health");
    // One attempt at once, the next an hour later: the delivery stays pending, retrying.
    const ep = await endpoint("health", r, { retry_schedule: [0, 3_600_000] });
    await submit("health", { a: "1" });
    await submit("health", { a: "2" });
    await r.waitForCount(() => true, 2);
    const view = await eventually(async () => {
      const v = await endpointView("health", ep.id);
      return v.stats.retrying === 2 && v.last_failure ? v : null;
    });
    assert.ok(view.failing_since, "failing_since is set");
    assert.equal(view.last_failure.status, 500);
    assert.equal(view.last_failure.outcome, "failed");
    assert.match(view.last_failure.error ?? "", /500|database is down/);
    const log = await deliveries("health", ep.id);
    for (const status of ["pending", "delivered", "failed", "skipped"]) {
      assert.equal(view.stats[status], log.filter((d) => d.status === status).length, status);
      assert.equal(view.stats[status], (await deliveries("health", ep.id, `&status=${status}`)).length, status);
    }
  });

  test("retry now attempts a pending delivery at once: exactly one more request", async () => {
    let answer = 500;
    const r = await receiver({ respond: () => ({ status: answer }) });
    await form("retry");
    const ep = await endpoint("retry", r, { retry_schedule: [0, 3_600_000] });
    const sub = await submit("retry", { a: "1" });
    await r.waitForCount(() => true, 1);
    const [d] = await eventually(async () => {
      const list = await deliveries("retry", ep.id);
      return list.length === 1 && list[0].attempts === 1 && list[0].last_status === 500 ? list : null;
    });
    assert.equal(d.status, "pending");
    assert.equal(d.submission_id, sub);
    answer = 200;
    const retried = await api("POST", `/api/forms/retry/endpoints/${ep.id}/deliveries/${d.id}/retry`);
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.json.id, d.id);
    await r.waitForCount(() => true, 2);
    const done = await eventually(async () => (await deliveries("retry", ep.id)).find((x) => x.status === "delivered"));
    assert.equal(done.attempts, 2);
    assert.equal(r.requests.length, 2);
    assert.equal(r.requests[1].headers["webhook-id"], r.requests[0].headers["webhook-id"]);
    assert.equal(r.requests[1].headers["x-formhook-attempt"], "2");
    assert.equal(r.requests[1].verified, true, r.requests[1].error);
    // Only a pending delivery can be retried now.
    const again = await api("POST", `/api/forms/retry/endpoints/${ep.id}/deliveries/${d.id}/retry`);
    assert.equal(again.status, 409);
    assert.equal(again.json.error.code, "delivery_not_pending");
    assert.equal((await api("POST", `/api/forms/retry/endpoints/${ep.id}/deliveries/dlv_nope/retry`)).status, 404);
    assert.equal((await api("GET", `/api/forms/retry/endpoints/${ep.id}/deliveries/${d.id}/retry`)).status, 405);
    // The submission's deliveries, by submission id.
    assert.deepEqual((await deliveries("retry", ep.id, `&submission_id=${sub}`)).map((x) => x.id), [d.id]);
    assert.deepEqual(await deliveries("retry", ep.id, "&submission_id=sub_other"), []);
  });

  test("resend sends a delivered delivery once more with the same webhook-id; pending ones refuse", async () => {
    const r = await receiver();
    await form("resend");
    // The longest timeout: the hanging attempt below stays on the wire while the test looks.
    const ep = await endpoint("resend", r, { retry_schedule: "quick", timeout_ms: 30_000 });
    await submit("resend", { a: "1" });
    await r.waitForCount(() => true, 1);
    const [d] = await eventually(async () => {
      const list = await deliveries("resend", ep.id);
      return list[0]?.status === "delivered" ? list : null;
    });
    const res = await api("POST", `/api/forms/resend/endpoints/${ep.id}/deliveries/${d.id}/resend`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, "pending");
    assert.equal(res.json.replay, true);
    await r.waitForCount(() => true, 2);
    const after = await eventually(async () => {
      const x = (await deliveries("resend", ep.id))[0];
      return x.status === "delivered" && x.attempts === 2 ? x : null;
    });
    assert.equal(after.id, d.id);
    assert.equal(r.requests.length, 2);
    assert.equal(r.requests[1].headers["webhook-id"], r.requests[0].headers["webhook-id"]);
    assert.deepEqual(r.requests[1].json, r.requests[0].json, "the same payload");
    assert.equal(r.requests[1].verified, true, r.requests[1].error);

    // The request each attempt sent: the exact headers the receiver got, never the secret.
    const full = (await api("GET", `/api/forms/resend/endpoints/${ep.id}/deliveries/${d.id}`)).json;
    assert.equal(full.attempt_log.length, 2);
    for (const [i, attempt] of full.attempt_log.entries()) {
      assert.equal(attempt.request.url, r.url);
      const sent = Object.fromEntries(attempt.request.headers);
      const got = r.requests[i].headers;
      for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature", "x-formhook-delivery", "x-formhook-attempt", "user-agent"]) {
        assert.equal(sent[name], got[name], name);
      }
      assert.equal(sent["x-formhook-delivery"], attempt.id);
      // The playground's check: the stored headers and payload verify with the secret.
      new Webhook(r.state.secrets[0]).verify(full.payload, sent);
    }
    assert.ok(!JSON.stringify(full).includes(r.state.secrets[0]), "the secret is never in the log");
    assert.ok(!JSON.stringify(full).includes(r.state.secrets[0].slice(6)), "nor its key bytes");

    // A pending delivery is retried, not resent.
    r.setRespond(() => ({ hang: true }));
    const test = await api("POST", `/api/forms/resend/endpoints/${ep.id}/test`);
    await r.waitForCount(() => true, 3);
    const pending = await api("POST", `/api/forms/resend/endpoints/${ep.id}/deliveries/${test.json.delivery_id}/resend`);
    assert.equal(pending.status, 409);
    assert.equal(pending.json.error.code, "delivery_pending");
    // Its attempt is on the wire (the receiver holds it): retrying now would send a second copy.
    const inFlight = await api("POST", `/api/forms/resend/endpoints/${ep.id}/deliveries/${test.json.delivery_id}/retry`);
    assert.equal(inFlight.status, 409);
    assert.equal(inFlight.json.error.code, "attempt_in_flight");
  });

  test("replay all failed: each failed delivery is sent exactly once more; a second replay finds none", async () => {
    let answer = 500;
    const r = await receiver({ respond: () => ({ status: answer }) });
    await form("replayall");
    // One attempt only: a failure is final.
    const ep = await endpoint("replayall", r, { retry_schedule: [0] });
    for (let i = 0; i < 3; i++) await submit("replayall", { i: String(i) });
    await r.waitForCount(() => true, 3);
    await eventually(async () => (await endpointView("replayall", ep.id)).stats.failed === 3);
    answer = 200;
    const res = await api("POST", `/api/forms/replayall/endpoints/${ep.id}/replay-failed`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.queued, 3);
    assert.equal(res.json.delivery_ids.length, 3);
    await r.waitForCount(() => true, 6);
    const view = await eventually(async () => {
      const v = await endpointView("replayall", ep.id);
      return v.stats.delivered === 3 ? v : null;
    });
    assert.equal(view.stats.failed, 0);
    assert.equal(view.failing_since, null);
    const again = await api("POST", `/api/forms/replayall/endpoints/${ep.id}/replay-failed`);
    assert.equal(again.json.queued, 0);
    // Each webhook-id reached the receiver twice: the failed attempt and the replay.
    const byId = new Map();
    for (const req of r.requests) byId.set(req.headers["webhook-id"], (byId.get(req.headers["webhook-id"]) ?? 0) + 1);
    assert.deepEqual([...byId.values()], [2, 2, 2]);
    assert.equal(r.requests.length, 6);

    // A disabled endpoint refuses every action.
    await api("POST", `/api/forms/replayall/endpoints/${ep.id}/disable`);
    const disabled = await api("POST", `/api/forms/replayall/endpoints/${ep.id}/replay-failed`);
    assert.equal(disabled.status, 409);
    assert.equal(disabled.json.error.code, "endpoint_disabled");
  });
});
