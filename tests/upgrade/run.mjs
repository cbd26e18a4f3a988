// Upgrade check (manual, not in `scripts/test`: it needs a build of an older version): objects
// created by an older worker keep working under this one. Runs the older checkout's worker on a
// fresh state directory, makes a form, an endpoint, a delivery at the first try and one that
// needed a retry; stops it; then runs this checkout's worker on the same state and checks the old
// deliveries and attempt log read back, a new delivery is logged beside them, and an old delivery
// sent again continues its log.
//
//   git worktree add /tmp/old <commit> && (link or install its node_modules; scripts/build-worker there)
//   node tests/upgrade/run.mjs /tmp/old
import http from "node:http";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";

const OLD = resolve(process.argv[2] ?? "");
const NEW = resolve(new URL("../..", import.meta.url).pathname);
if (!process.argv[2]) throw new Error("usage: node tests/upgrade/run.mjs <older checkout with its worker built>");
const dir = mkdtempSync(join(tmpdir(), "formhook-upgrade-"));
const token = randomBytes(16).toString("hex");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Answers 200, except the first request of a body containing "fail" (500).
const requests = [];
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString();
    requests.push({ headers: req.headers, body });
    const fail = body.includes('"fail"') && requests.filter((r) => r.body === body).length === 1;
    res.statusCode = fail ? 500 : 200;
    res.end(fail ? "down" : `ok ${requests.length}`);
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
const hook = `http://127.0.0.1:${receiver.address().port}/hook`;

async function withWorker(root, fn) {
  const { startWorker } = await import(pathToFileURL(join(root, "scripts", "serve.mjs")).href);
  const worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true, logLevel: "warn" });
  const api = async (method, path, body) => {
    const res = await fetch(worker.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body && JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  const submit = (body) => fetch(`${worker.url}/f/up`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body,
  });
  try {
    return await fn(api, submit, worker.url);
  } finally {
    await worker.stop();
  }
}
async function until(what, f) {
  for (let i = 0; i < 300; i++) {
    const v = await f();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`timed out: ${what}`);
}

let ep;
let signed;
let oldKeys;
await withWorker(OLD, async (api, submit, url) => {
  assert.equal((await api("POST", "/api/forms", { id: "up", rate_limit_per_minute: 0 })).status, 201);
  ep = (await api("POST", "/api/forms/up/endpoints", { url: hook, retry_schedule: [0, 300] })).json;
  // An ed25519 endpoint, its public keys served at /keys (the registry did not list endpoints).
  signed = (await api("POST", "/api/forms/up/endpoints", { url: hook, signing: "ed25519", events: ["endpoint.test"] })).json;
  const keys = await fetch(`${url}/keys/${signed.id}`);
  assert.equal(keys.status, 200);
  oldKeys = await keys.json();
  await submit("a=1");
  await submit("fail=1");
  await until("3 requests", () => requests.length >= 3);
  await until("old deliveries delivered", async () => {
    const list = (await api("GET", `/api/forms/up/endpoints/${ep.id}/deliveries`)).json.data;
    return list.length === 2 && list.every((d) => d.status === "delivered");
  });
});
console.log(`older worker (${OLD}): 2 deliveries, ${requests.length} requests`);

await withWorker(NEW, async (api, submit, url) => {
  // Its keys are still served, before and after the first recovery sweep lists the endpoint.
  const keys = await fetch(`${url}/keys/${signed.id}`);
  assert.equal(keys.status, 200);
  assert.deepEqual(await keys.json(), oldKeys);
  await sleep(1000);
  assert.equal((await fetch(`${url}/keys/${signed.id}`)).status, 200);
  assert.equal((await fetch(`${url}/keys/ep_${"0".repeat(26)}`)).status, 404);
  await submit("a=2");
  const list = await until("3 deliveries delivered", async () => {
    const d = (await api("GET", `/api/forms/up/endpoints/${ep.id}/deliveries`)).json.data;
    return d.length === 3 && d.every((x) => x.status === "delivered") && d;
  });
  const log = (await api("GET", `/api/forms/up/endpoints/${ep.id}/attempts?limit=50`)).json.data;
  assert.equal(log.length, 4, JSON.stringify(log));
  assert.deepEqual(log.map((a) => a.id).sort(), requests.map((r) => r.headers["x-formhook-delivery"]).sort());
  for (const d of list) {
    const detail = (await api("GET", `/api/forms/up/endpoints/${ep.id}/deliveries/${d.id}`)).json;
    assert.ok(detail.attempt_log.length >= 1, d.id);
    assert.ok(detail.attempt_log.every((a) => a.request?.url === hook), `${d.id}: each attempt with its request`);
  }
  const old = list.find((d) => d.attempts === 2);
  assert.ok(old, "the retried delivery from the older worker");
  assert.equal((await api("POST", `/api/forms/up/endpoints/${ep.id}/deliveries/${old.id}/resend`)).status, 200);
  const again = await until("resent and delivered", async () => {
    const x = (await api("GET", `/api/forms/up/endpoints/${ep.id}/deliveries/${old.id}`)).json;
    return x.status === "delivered" && x.attempt_log.length === 3 && x;
  });
  assert.deepEqual(again.attempt_log.map((a) => [a.attempt, a.status]), [[1, 500], [2, 200], [3, 200]]);
  const view = (await api("GET", `/api/forms/up/endpoints/${ep.id}`)).json;
  assert.equal(view.stats.delivered, 3, JSON.stringify(view.stats));
});
console.log("upgrade check passed: the older worker's objects work under this one");
receiver.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
