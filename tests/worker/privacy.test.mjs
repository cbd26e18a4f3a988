// Personal data, end to end in workerd: per-endpoint redaction, retention with a short test
// "day" (RETENTION_DAY_MS, test-only), erasure of one submission and of a whole form, and an
// erasure interrupted by kill -9 that finishes after the restart. Every check reads the worker's
// own admin API and searches every response for a unique marker value.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { eventually, startReceiver } from "./receiver.mjs";

const DAY_MS = 2000;
// Erasures of these forms stop right after their intent is recorded (test-only variable), as if
// the process died there; the restart below runs without it.
const STOPPED_FORMS = "crash,crash2";

let worker;
let dir;
let options;
const token = randomBytes(16).toString("hex");
const receivers = [];

const api = adminApi(() => worker.url, token);

async function receiver(respond) {
  const r = await startReceiver({ respond });
  receivers.push(r);
  return r;
}

/** A receiver that answers `status()` and echoes the body, so answer excerpts hold the data. */
const echoing = (status = () => 200) => receiver((req) => ({ status: status(), body: req.body.toString() }));

async function form(id, settings = {}) {
  const res = await api("POST", "/api/forms", { id, rate_limit_per_minute: 0, ...settings });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function endpoint(formId, r, settings = {}) {
  const res = await api("POST", `/api/forms/${formId}/endpoints`, { url: r.url, ...settings });
  assert.equal(res.status, 201, res.text);
  r.setSecrets(res.json.secret);
  return res.json;
}

async function submit(formId, fields, file) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  if (file) body.append(file.field, new Blob([file.bytes], { type: "application/pdf" }), file.name);
  const res = await fetch(`${worker.url}/f/${formId}`, { method: "POST", body, headers: { accept: "application/json" } });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).id;
}

const marker = (what) => `${what}-${randomBytes(8).toString("hex")}`;
const deliveries = async (f, e) => (await api("GET", `/api/forms/${f}/endpoints/${e}/deliveries?limit=200`)).json.data;
const detail = async (f, e, d) => (await api("GET", `/api/forms/${f}/endpoints/${e}/deliveries/${d}`)).json;
const attempts = async (f, e) => (await api("GET", `/api/forms/${f}/endpoints/${e}/attempts?limit=200`)).json.data;

/** Every admin response about one endpoint: its view, deliveries with details, attempts. */
async function endpointDump(f, e) {
  const texts = [(await api("GET", `/api/forms/${f}/endpoints/${e}`)).text];
  const list = await api("GET", `/api/forms/${f}/endpoints/${e}/deliveries?limit=200`);
  texts.push(list.text);
  for (const d of list.json?.data ?? []) texts.push((await api("GET", `/api/forms/${f}/endpoints/${e}/deliveries/${d.id}`)).text);
  texts.push((await api("GET", `/api/forms/${f}/endpoints/${e}/attempts?limit=200`)).text);
  return texts.join("\n");
}

/** Every admin response about one form: the form lists, its submissions, every endpoint's dump. */
async function formDump(f) {
  const texts = [(await api("GET", "/api/forms")).text, (await api("GET", `/api/forms/${f}`)).text];
  const subs = await api("GET", `/api/forms/${f}/submissions?limit=200`);
  texts.push(subs.text);
  for (const s of subs.json?.data ?? []) texts.push((await api("GET", `/api/forms/${f}/submissions/${s.id}`)).text);
  const eps = await api("GET", `/api/forms/${f}/endpoints`);
  texts.push(eps.text);
  for (const e of eps.json?.data ?? []) texts.push(await endpointDump(f, e.id));
  return texts.join("\n");
}

/** A long, steady retry schedule: a failing delivery stays pending for the whole test. */
const STEADY_RETRIES = { retry_schedule: [0, ...Array(49).fill(2000)], disable_after_seconds: 2_592_000 };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-privacy-"));
  options = {
    port: 0,
    persistDir: dir,
    adminToken: token,
    ssrfAllowlist: "127.0.0.1",
    quiet: true,
    vars: { RETENTION_DAY_MS: String(DAY_MS), ERASURE_STOP_AFTER_INTENT: STOPPED_FORMS },
  };
  worker = await startWorker(options);
  options.port = worker.port;
});

after(async () => {
  await worker?.stop();
  for (const r of receivers) await r.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("redacted endpoints never receive and never keep excluded fields or files", async () => {
  await form("redact");
  const secret = marker("secret");
  const [a, b, c] = [await echoing(), await echoing(), await echoing()];
  const epA = await endpoint("redact", a, { fields: { exclude: ["note"] } });
  const epB = await endpoint("redact", b, { fields: { include: ["email", "note"], exclude: ["note"] }, files: "none" });
  const epC = await endpoint("redact", c);
  assert.deepEqual([epA.fields, epA.files], [{ exclude: ["note"] }, "url"]);
  assert.deepEqual([epB.fields, epB.files], [{ include: ["email", "note"], exclude: ["note"] }, "none"]);

  await submit("redact", { email: "ada@example.com", note: secret, city: "Paris" }, { field: "cv", name: "cv.pdf", bytes: Buffer.from("%PDF-1") });
  const [gotA, gotB, gotC] = [(await a.waitFor(() => true))[0], (await b.waitFor(() => true))[0], (await c.waitFor(() => true))[0]];
  for (const got of [gotA, gotB, gotC]) assert.equal(got.verified, true);
  // The unredacted endpoint shows what was submitted: the marker really was in the form.
  assert.equal(gotC.json.submission.data.note, secret);
  assert.deepEqual(Object.keys(gotA.json.submission.data), ["email", "city"]);
  assert.deepEqual(gotA.json.submission.files.map((f) => f.field), ["cv"]);
  assert.deepEqual(Object.keys(gotB.json.submission.data), ["email"]);
  assert.deepEqual(gotB.json.submission.files, []);
  // Meta (request facts) stays.
  assert.ok("user_agent" in gotB.json.submission.meta);
  for (const got of [gotA, gotB]) assert.ok(!got.body.toString().includes(secret));

  for (const ep of [epA, epB]) {
    await eventually(async () => (await deliveries("redact", ep.id))[0]?.status === "delivered", 20_000, "delivered");
    const dump = await endpointDump("redact", ep.id);
    assert.ok(dump.includes("ada@example.com"), "the dump holds the kept field");
    assert.ok(!dump.includes(secret), `endpoint ${ep.id} keeps the excluded value somewhere`);
  }
  await eventually(async () => (await deliveries("redact", epC.id))[0]?.status === "delivered", 20_000, "delivered");
  assert.ok((await endpointDump("redact", epC.id)).includes(secret), "the search finds the value where it is kept");

  // Bad shapes are refused with precise codes; nothing changes.
  const patch = (body) => api("PATCH", `/api/forms/redact/endpoints/${epA.id}`, body);
  for (const [body, code] of [
    [{ fields: "note" }, "invalid_redaction"],
    [{ fields: { only: ["note"] } }, "invalid_redaction"],
    [{ fields: { include: [] } }, "redaction_empty_include"],
    [{ fields: { exclude: [""] } }, "redaction_empty_name"],
    [{ files: "all" }, "invalid_field"],
  ]) {
    const res = await patch(body);
    assert.equal(res.status, 422, JSON.stringify(body));
    assert.equal(res.json.error.code, code, JSON.stringify(body));
  }
  assert.deepEqual((await api("GET", `/api/forms/redact/endpoints/${epA.id}`)).json.fields, { exclude: ["note"] });
});

test("retention removes old submissions, payload copies and answer excerpts; the attempt log keeps ids, times, statuses", async () => {
  await form("keep");
  const r = await echoing();
  const ep = await endpoint("keep", r);
  const value = marker("old");
  const id = await submit("keep", { message: value });
  await r.waitFor(() => true);
  const [delivery] = await eventually(async () => {
    const list = await deliveries("keep", ep.id);
    return list[0]?.status === "delivered" && list;
  }, 20_000, "delivered");
  // Before any retention, everything is kept (the payload and the receiver's echo).
  const before = await detail("keep", ep.id, delivery.id);
  assert.ok(before.payload.includes(value) && before.attempt_log[0].response_excerpt.includes(value));
  const attemptsBefore = await attempts("keep", ep.id);

  // One test "day" (2 s).
  const patched = await api("PATCH", "/api/forms/keep", { retention_days: 1 });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.json.retention_days, 1);
  await eventually(async () => (await api("GET", `/api/forms/keep/submissions/${id}`)).status === 404, 30_000, "the submission expired");
  const after = await eventually(async () => {
    const d = await detail("keep", ep.id, delivery.id);
    return d.payload_removed && d.attempt_log.every((a) => a.response_excerpt === "") && d;
  }, 30_000, "the payload copy and the excerpt removed");
  assert.equal(after.payload, "");
  assert.equal(after.status, "delivered");
  assert.equal(after.message_id, delivery.message_id);
  const attemptsAfter = await attempts("keep", ep.id);
  assert.deepEqual(
    attemptsAfter.map((a) => [a.id, a.delivery_id, a.attempt, a.started_at, a.status, a.outcome]),
    attemptsBefore.map((a) => [a.id, a.delivery_id, a.attempt, a.started_at, a.status, a.outcome]),
  );
  assert.ok(!(await formDump("keep")).includes(value));

  // A newer submission is kept until it is a day old too, then removed the same way.
  const fresh = marker("fresh");
  const freshId = await submit("keep", { message: fresh });
  await r.waitFor((q) => q.body.toString().includes(fresh));
  await eventually(async () => (await api("GET", `/api/forms/keep/submissions/${freshId}`)).status === 404, 30_000, "the newer submission expired");
  await eventually(async () => !(await formDump("keep")).includes(fresh), 30_000, "no trace of the newer submission");
  // Turned off again: new submissions stay.
  assert.equal((await api("PATCH", "/api/forms/keep", { retention_days: null })).json.retention_days, null);
});

test("erasing one submission removes it everywhere, cancels its pending deliveries and tells subscribers with ids only", async () => {
  await form("erase");
  let failing = true;
  const p = await echoing(() => (failing ? 500 : 200));
  const q = await echoing();
  const epP = await endpoint("erase", p, STEADY_RETRIES);
  const epQ = await endpoint("erase", q, { events: ["form.submission.created", "form.submission.deleted"] });
  const gone = marker("erase-me");
  const kept = marker("keep-me");
  const goneId = await submit("erase", { message: gone });
  const keptId = await submit("erase", { message: kept });
  await q.waitForCount((r) => r.json?.type === "form.submission.created", 2);
  await p.waitFor((r) => r.body.toString().includes(gone));
  await p.waitFor((r) => r.body.toString().includes(kept));
  const pendingBefore = (await deliveries("erase", epP.id)).find((d) => d.submission_id === goneId);
  assert.equal(pendingBefore.status, "pending");

  const res = await api("DELETE", `/api/forms/erase/submissions/${goneId}`);
  assert.equal(res.status, 204, res.text);
  assert.equal((await api("GET", `/api/forms/erase/submissions/${goneId}`)).status, 404);
  assert.equal((await api("DELETE", `/api/forms/erase/submissions/${goneId}`)).status, 404);

  // The subscriber hears of it, with ids only.
  const [notice] = await q.waitFor((r) => r.json?.type === "form.submission.deleted");
  assert.equal(notice.verified, true);
  assert.deepEqual(notice.json.data, { form_id: "erase", submission_id: goneId });
  assert.ok(!notice.body.toString().includes(gone));

  const cancelled = await detail("erase", epP.id, pendingBefore.id);
  assert.equal(cancelled.status, "skipped");
  assert.equal(cancelled.last_error, "cancelled: the submission was erased");
  assert.equal(cancelled.payload_removed, true);
  const dump = await formDump("erase");
  assert.ok(!dump.includes(gone), "no trace of the erased submission");
  assert.ok(dump.includes(kept), "the other submission is untouched");

  // The failing receiver recovers: the other submission's retry arrives, the erased one never.
  const switchedAt = Date.now();
  failing = false;
  await eventually(async () => (await deliveries("erase", epP.id)).every((d) => d.status !== "pending"), 60_000, "no pending delivery left");
  const keptDelivery = (await deliveries("erase", epP.id)).find((d) => d.submission_id === keptId);
  assert.equal(keptDelivery.status, "delivered");
  assert.equal(p.requests.filter((r) => r.at >= switchedAt && r.body.toString().includes(gone)).length, 0);
});

test("erasing a form removes its submissions, endpoints' queues and logs and its registry entry", async () => {
  await form("wipe");
  const r = await echoing();
  const ep = await endpoint("wipe", r);
  const value = marker("wipe");
  await submit("wipe", { message: value });
  await r.waitFor(() => true);
  await eventually(async () => (await deliveries("wipe", ep.id))[0]?.status === "delivered", 20_000, "delivered");
  assert.equal((await fetch(`${worker.url}/keys/${ep.id}`)).status, 200);

  const res = await api("DELETE", "/api/forms/wipe");
  assert.equal(res.status, 204, res.text);
  assert.equal((await api("GET", "/api/forms/wipe")).status, 404);
  assert.ok(!(await api("GET", "/api/forms")).json.data.some((f) => f.id === "wipe"));
  // The endpoint's own object is empty: its public key route no longer knows it.
  assert.equal((await fetch(`${worker.url}/keys/${ep.id}`)).status, 404);
  assert.ok(!(await formDump("wipe")).includes(value));
  // The id is free again, and the new form starts empty.
  await form("wipe");
  assert.deepEqual((await api("GET", "/api/forms/wipe/submissions")).json.data, []);
  assert.deepEqual((await api("GET", "/api/forms/wipe/endpoints")).json.data, []);
});

test("an erasure interrupted by kill -9 finishes after the restart", async () => {
  // A submission erasure, stopped after its intent.
  await form("crash");
  let failing = true;
  const k = await echoing(() => (failing ? 500 : 200));
  const epK = await endpoint("crash", k, STEADY_RETRIES);
  const gone = marker("crash");
  const goneId = await submit("crash", { message: gone });
  await k.waitFor((r) => r.body.toString().includes(gone));
  const erased = await api("DELETE", `/api/forms/crash/submissions/${goneId}`);
  assert.equal(erased.status, 202, erased.text);
  assert.deepEqual(erased.json, { id: goneId, complete: false });
  // The intent and the local removal commit together; the endpoint's copy is not erased yet.
  assert.equal((await api("GET", `/api/forms/crash/submissions/${goneId}`)).status, 404);
  const [copy] = await deliveries("crash", epK.id);
  assert.equal(copy.status, "pending");
  assert.ok((await detail("crash", epK.id, copy.id)).payload.includes(gone));

  // A form erasure, stopped after its intent: the form is gone for callers, its endpoint is not.
  await form("crash2");
  const w = await echoing();
  const epW = await endpoint("crash2", w);
  const value2 = marker("crash2");
  await submit("crash2", { message: value2 });
  await w.waitFor(() => true);
  const wiped = await api("DELETE", "/api/forms/crash2");
  assert.equal(wiped.status, 202, wiped.text);
  assert.equal((await api("GET", "/api/forms/crash2")).status, 404);
  assert.equal((await fetch(`${worker.url}/keys/${epW.id}`)).status, 200);

  await worker.kill9();
  assert.equal((await worker.exited).signal, "SIGKILL");
  options.vars = { RETENTION_DAY_MS: String(DAY_MS) };
  worker = await startWorker(options);

  // Finished with no request but the launcher's readiness probe.
  const cancelled = await eventually(async () => {
    const d = await detail("crash", epK.id, copy.id);
    return d.payload_removed && d;
  }, 60_000, "the endpoint's copy erased after the restart");
  assert.equal(cancelled.status, "skipped");
  assert.ok(!(await formDump("crash")).includes(gone));
  await eventually(async () => (await fetch(`${worker.url}/keys/${epW.id}`)).status === 404, 60_000, "the erased form's endpoint deleted");
  await eventually(async () => !(await api("GET", "/api/forms")).json.data.some((f) => f.id === "crash2"), 60_000, "the registry entry released");
  assert.equal((await api("POST", "/api/forms", { id: "crash2" })).status, 201);

  // The receiver recovers: a new submission arrives, the erased one never does.
  const switchedAt = Date.now();
  failing = false;
  const control = marker("control");
  await submit("crash", { message: control });
  await k.waitFor((r) => r.at >= switchedAt && r.body.toString().includes(control), 30_000);
  await eventually(async () => (await deliveries("crash", epK.id)).every((d) => d.status !== "pending"), 60_000, "no pending delivery left");
  assert.equal(k.requests.filter((r) => r.at >= switchedAt && r.body.toString().includes(gone)).length, 0);
});
