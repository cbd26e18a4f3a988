// Secrets are shown once: after an endpoint is created or its secret rotated, no response, log
// line or error message contains the secret (or the admin token).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";

let worker;
let dir;
let receiver;
const token = randomBytes(16).toString("hex");
const seen = [];

const api = adminApi(() => worker.url, token, { record: (answer) => seen.push(answer) });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-secrets-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
  // A receiver that fails first, so error paths (attempt log, last_error) are exercised too.
  let n = 0;
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      n++;
      res.writeHead(n === 1 ? 500 : 200);
      res.end(n === 1 ? "boom" : "ok");
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
});

after(async () => {
  await worker?.stop();
  receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("endpoint and rotated secrets never appear again after they are shown", async () => {
  await api("POST", "/api/forms", { id: "s", rate_limit_per_minute: 0 });
  const created = await api("POST", "/api/forms/s/endpoints", {
    url: `http://127.0.0.1:${receiver.address().port}/hook`,
    retry_schedule: [0, 200],
  });
  assert.equal(created.status, 201);
  const secrets = [created.json.secret];
  const ep = created.json.id;
  const custom = await api("POST", "/api/forms/s/endpoints", { url: "http://127.0.0.1:9/x", scheme: "github", secret: "my github secret value", enabled: false });
  assert.equal(custom.status, 201);
  secrets.push("my github secret value");
  const rotated = await api("POST", `/api/forms/s/endpoints/${ep}/rotate-secret`, { grace_period_seconds: 60 });
  assert.equal(rotated.status, 200);
  secrets.push(rotated.json.secret);
  assert.notEqual(secrets[0], secrets[2]);
  const shownAt = seen.length;

  // Traffic that touches every read path and the error paths.
  const sub = await fetch(`${worker.url}/f/s`, { method: "POST", body: "a=1", headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" } }).then((r) => r.json());
  let deliveries;
  for (let i = 0; i < 100; i++) {
    deliveries = await api("GET", `/api/forms/s/endpoints/${ep}/deliveries`);
    if (deliveries.json.data[0]?.status === "delivered") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(deliveries.json.data[0].status, "delivered");
  await api("GET", `/api/forms/s/endpoints/${ep}/deliveries/${deliveries.json.data[0].id}`);
  await api("GET", `/api/forms/s/endpoints/${ep}/attempts`);
  await api("GET", "/api/forms/s/endpoints");
  await api("GET", `/api/forms/s/endpoints/${ep}`);
  await api("GET", `/api/forms/s/endpoints/${custom.json.id}`);
  await api("PATCH", `/api/forms/s/endpoints/${ep}`, { description: "patched" });
  await api("POST", `/api/forms/s/endpoints/${ep}/disable`);
  await api("POST", `/api/forms/s/endpoints/${ep}/enable`);
  await api("POST", `/api/forms/s/endpoints/${ep}/test`);
  await api("GET", "/api/forms");
  await api("GET", "/api/forms/s");
  await api("GET", "/api/forms/s/submissions");
  await api("GET", `/api/forms/s/submissions/${sub.id}`);
  await api("POST", `/api/forms/s/endpoints/${ep}/rotate-secret`, { secret: "not base64 !!" }); // an error mentioning secrets
  await api("GET", "/api/openapi.json");

  const after = seen.slice(shownAt);
  // A leak check of an error page proves nothing: every read path must have answered with its
  // data, and the one bad request with its error.
  assert.deepEqual(
    after.filter((r) => r.status >= 300).map((r) => `${r.method} ${r.path} → ${r.status}`),
    [`POST /api/forms/s/endpoints/${ep}/rotate-secret → 422`],
  );
  assert.match(after.find((r) => r.status === 422).text, /secret/, "the refused rotation's error is about the secret");
  for (const { method, path, text, headers } of after) {
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `${method} ${path} leaks a secret`);
      assert.ok(!headers.includes(secret), `${method} ${path} leaks a secret in a header`);
      // Standard Webhooks secrets: the key bytes must not leak base64-encoded without the prefix either.
      if (secret.startsWith("whsec_")) assert.ok(!text.includes(secret.slice(6)), `${method} ${path} leaks key bytes`);
    }
    assert.ok(!text.includes(token), `${method} ${path} leaks the admin token`);
  }
  const logs = worker.output();
  assert.match(logs, /POST \/api\/forms\/s\/endpoints/, "request logs were captured");
  for (const secret of [...secrets, token]) assert.ok(!logs.includes(secret), "the worker's output contains a secret");
});
