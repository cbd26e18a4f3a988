// Standard Webhooks v1a end to end: endpoints that sign with ed25519 publish their public keys at
// GET /keys/{endpoint_id} (no token), and receivers verify with node:crypto's Ed25519 and nothing
// but that public key; `both` endpoints verify either way; a rotation signs with both keys.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, randomBytes, verify as cryptoVerify } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { Webhook } from "../../pkg/dist/node.mjs";
import { startReceiver } from "./receiver.mjs";

let worker;
let dir;
const token = randomBytes(16).toString("hex");
const receivers = [];

const api = adminApi(() => worker.url, token);

async function receiver() {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

const submit = (form, body) =>
  fetch(`${worker.url}/f/${form}`, { method: "POST", body, headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" } });

// An Ed25519 public key from `whpk_<base64 of the 32 raw bytes>`, as node:crypto takes it (SPKI DER).
function publicKeyOf(whpk) {
  const raw = Buffer.from(whpk.replace(/^whpk_/, ""), "base64");
  assert.equal(raw.length, 32);
  const spkiPrefix = Buffer.from("302a300506032b6570032100", "hex");
  return createPublicKey({ key: Buffer.concat([spkiPrefix, raw]), format: "der", type: "spki" });
}

/** The v1a entries of a delivery that verify with `whpk` (node:crypto only). */
function v1aMatches(request, whpk) {
  const signed = Buffer.concat([Buffer.from(`${request.headers["webhook-id"]}.${request.headers["webhook-timestamp"]}.`), request.body]);
  return request.headers["webhook-signature"]
    .split(" ")
    .filter((entry) => entry.startsWith("v1a,"))
    .filter((entry) => cryptoVerify(null, signed, publicKeyOf(whpk), Buffer.from(entry.slice(4), "base64")));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-v1a-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
  assert.equal((await api("POST", "/api/forms", { id: "v1a", rate_limit_per_minute: 0 })).status, 201);
});

after(async () => {
  await worker?.stop();
  for (const r of receivers) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

test("an ed25519 endpoint: its deliveries verify with the public key from GET /keys alone", async () => {
  const r = await receiver();
  const ep = await api("POST", "/api/forms/v1a/endpoints", { url: r.url, signing: "ed25519", events: ["form.submission.created"] });
  assert.equal(ep.status, 201, JSON.stringify(ep.json));
  assert.equal(ep.json.secret, undefined, "no secret is shown: the signing key never leaves the worker");
  assert.match(ep.json.public_key, /^whpk_[A-Za-z0-9+/]{43}=$/);
  assert.equal((await api("GET", `/api/forms/v1a/endpoints/${ep.json.id}`)).json.public_key, ep.json.public_key);
  const keys = await fetch(`${worker.url}/keys/${ep.json.id}`); // no token
  assert.equal(keys.status, 200);
  assert.equal(keys.headers.get("access-control-allow-origin"), "*");
  const { keys: published } = await keys.json();
  assert.deepEqual(published.map((k) => k.public_key), [ep.json.public_key]);
  assert.ok(Date.parse(published[0].created_at) <= Date.now());
  assert.equal(published[0].expires_at, null);

  assert.equal((await submit("v1a", "name=Ada")).status, 201);
  const [got] = await r.waitFor(() => true);
  const entries = got.headers["webhook-signature"].split(" ");
  assert.ok(entries.every((e) => e.startsWith("v1a,")), got.headers["webhook-signature"]);
  assert.equal(v1aMatches(got, published[0].public_key).length, 1);
  // The npm package verifies with the public key too; a tampered body does not verify.
  assert.equal(new Webhook(published[0].public_key).verify(got.body, got.headers).submission.data.name, "Ada");
  assert.equal(v1aMatches({ ...got, body: Buffer.from(got.body.toString().replace("Ada", "Eve")) }, published[0].public_key).length, 0);
  // The private key is nowhere in what the API shows.
  const shown = JSON.stringify((await api("GET", `/api/forms/v1a/endpoints/${ep.json.id}`)).json);
  assert.doesNotMatch(shown, /whsk_/);
});

test("a `both` endpoint verifies with its HMAC secret and with its public key", async () => {
  const r = await receiver();
  const ep = await api("POST", "/api/forms/v1a/endpoints", { url: r.url, signing: "both", events: ["form.submission.created"] });
  assert.equal(ep.status, 201, JSON.stringify(ep.json));
  assert.match(ep.json.secret, /^whsec_/);
  assert.match(ep.json.public_key, /^whpk_/);
  r.setSecrets(ep.json.secret);
  await submit("v1a", "name=Grace");
  const [got] = await r.waitFor((q) => q.json?.submission?.data?.name === "Grace");
  assert.equal(got.verified, true, got.error); // HMAC, with the secret
  assert.deepEqual(got.headers["webhook-signature"].split(" ").map((e) => e.split(",")[0]).sort(), ["v1", "v1a"]);
  assert.equal(v1aMatches(got, ep.json.public_key).length, 1);
});

test("rotation of an ed25519 endpoint: two v1a entries, each verifying with its own public key", async () => {
  const r = await receiver();
  const ep = await api("POST", "/api/forms/v1a/endpoints", { url: r.url, signing: "ed25519", events: ["form.submission.created"] });
  const oldKey = ep.json.public_key;
  const rotated = await api("POST", `/api/forms/v1a/endpoints/${ep.json.id}/rotate-secret`, { grace_period_seconds: 3600 });
  assert.equal(rotated.status, 200, JSON.stringify(rotated.json));
  assert.equal(rotated.json.secret, undefined);
  assert.match(rotated.json.public_key, /^whpk_/);
  assert.notEqual(rotated.json.public_key, oldKey);
  const { keys } = await (await fetch(`${worker.url}/keys/${ep.json.id}`)).json();
  assert.deepEqual(keys.map((k) => k.public_key), [rotated.json.public_key, oldKey]);
  assert.ok(Date.parse(keys[1].expires_at) > Date.now());
  await submit("v1a", "name=Rotated");
  const [got] = await r.waitFor((q) => q.json?.submission?.data?.name === "Rotated");
  const entries = got.headers["webhook-signature"].split(" ");
  assert.equal(entries.length, 2);
  assert.equal(v1aMatches(got, oldKey).length, 1);
  assert.equal(v1aMatches(got, rotated.json.public_key).length, 1);
});

test("ed25519 needs the Standard Webhooks scheme; unknown or malformed endpoint ids have no keys", async () => {
  const refused = await api("POST", "/api/forms/v1a/endpoints", { url: "http://127.0.0.1:9/x", scheme: "github", signing: "ed25519" });
  assert.equal(refused.status, 422);
  assert.match(refused.json.error.message, /^signing/);
  const hmac = await api("POST", "/api/forms/v1a/endpoints", { url: "http://127.0.0.1:9/x", enabled: false });
  assert.deepEqual(await (await fetch(`${worker.url}/keys/${hmac.json.id}`)).json(), { keys: [] });
  assert.equal((await fetch(`${worker.url}/keys/ep_nope`)).status, 404);
  assert.equal((await fetch(`${worker.url}/keys/${"ep_" + "0".repeat(26)}`)).status, 404);
  // Switching an HMAC endpoint to `both` makes its ed25519 key; the answer shows no new secret.
  const both = await api("PATCH", `/api/forms/v1a/endpoints/${hmac.json.id}`, { signing: "both" });
  assert.equal(both.status, 200);
  assert.match(both.json.public_key, /^whpk_/);
  assert.equal(both.json.secret, undefined);
});
