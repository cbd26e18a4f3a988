// A custom header can never carry a signature: for every scheme the API offers, the scheme's own
// headers are refused as custom headers (on create and on PATCH, 422 reserved_header naming the
// header), and the receiver gets the real, verifying signature.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { startReceiver } from "./receiver.mjs";

// Each provider's documented signature (and timestamp) headers, independent of the worker's code.
const HEADERS = {
  "standard-webhooks": ["webhook-signature", "webhook-id", "webhook-timestamp"],
  github: ["X-Hub-Signature-256"],
  gudform: ["X-GudForm-Signature"],
  hex: ["X-Splitforms-Signature"],
  typeform: ["Typeform-Signature"],
  shopify: ["X-Shopify-Hmac-Sha256", "Shopify-Hmac-Sha256"],
  stripe: ["Stripe-Signature"],
  slack: ["X-Slack-Signature", "X-Slack-Request-Timestamp"],
};

let worker;
let dir;
const token = randomBytes(16).toString("hex");
const receivers = [];

const api = adminApi(() => worker.url, token);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-reserved-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
  assert.equal((await api("POST", "/api/forms", { id: "reserved", rate_limit_per_minute: 0 })).status, 201);
});

after(async () => {
  await worker?.stop();
  for (const r of receivers) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

test("every scheme's headers are refused as custom headers, and receivers get the real signature", async () => {
  const doc = await (await fetch(`${worker.url}/api/openapi.json`)).json();
  const schemes = doc.components.schemas.EndpointView.properties.scheme.enum;
  assert.ok(schemes.length >= 8, `schemes from the API: ${schemes}`);
  const endpoints = [];
  for (const scheme of schemes) {
    assert.ok(HEADERS[scheme], `the test knows the headers of ${scheme}`);
    const r = await startReceiver({ scheme });
    receivers.push(r);
    for (const name of HEADERS[scheme]) {
      const forged = { "x-tenant": "acme", [name]: "sha256=0000" };
      const refused = await api("POST", "/api/forms/reserved/endpoints", { url: r.url, scheme, headers: forged });
      assert.equal(refused.status, 422, `${scheme} ${name}: ${JSON.stringify(refused.json)}`);
      assert.equal(refused.json.error.code, "reserved_header");
      assert.match(refused.json.error.message, new RegExp(name));
    }
    const ep = await api("POST", "/api/forms/reserved/endpoints", { url: r.url, scheme, headers: { "x-tenant": "acme" } });
    assert.equal(ep.status, 201, JSON.stringify(ep.json));
    r.setSecrets(ep.json.secret);
    const name = HEADERS[scheme][0];
    const patched = await api("PATCH", `/api/forms/reserved/endpoints/${ep.json.id}`, { headers: { [name.toLowerCase()]: "forged" } });
    assert.equal(patched.status, 422);
    assert.equal(patched.json.error.code, "reserved_header");
    const kept = await api("GET", `/api/forms/reserved/endpoints/${ep.json.id}`);
    assert.deepEqual(kept.json.headers, { "x-tenant": "acme" });
    endpoints.push({ scheme, r });
  }
  const res = await fetch(`${worker.url}/f/reserved`, { method: "POST", headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" }, body: "a=1" });
  assert.equal(res.status, 201);
  for (const { scheme, r } of endpoints) {
    const [got] = await r.waitFor(() => true);
    assert.equal(got.verified, true, `${scheme}: ${got.error}`);
    assert.equal(got.headers["x-tenant"], "acme");
    for (const name of HEADERS[scheme]) {
      const value = got.headers[name.toLowerCase()];
      assert.notEqual(value, "sha256=0000", `${scheme} ${name}`);
      assert.notEqual(value, "forged", `${scheme} ${name}`);
    }
  }
});
