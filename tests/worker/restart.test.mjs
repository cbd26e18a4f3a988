// kill -9 of the local server while a delivery waits for its retry, then a restart on the same
// storage: the delivery completes with no manual step (the launcher's readiness probe is the
// only request), and accepted submissions are all there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startWorker } from "../../scripts/serve.mjs";
import { eventually, startReceiver } from "./receiver.mjs";

test("SIGKILL mid-retry, restart: the retry is delivered and nothing accepted is lost", async () => {
  const dir = mkdtempSync(join(tmpdir(), "formhook-restart-"));
  const token = randomBytes(16).toString("hex");
  const receiver = await startReceiver({ respond: (_, n) => ({ status: n === 1 ? 503 : 200 }) });
  const options = { port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true };
  let worker = await startWorker(options);
  options.port = worker.port;
  try {
    const api = async (method, path, body) => {
      const res = await fetch(`${worker.url}${path}`, { method, headers: { authorization: `Bearer ${token}` }, body: body && JSON.stringify(body) });
      return res.json();
    };
    await api("POST", "/api/forms", { id: "crash", rate_limit_per_minute: 0 });
    // 503 is a throttle: the retry waits at least throttle_floor_ms (4 s), past the crash.
    const ep = await api("POST", "/api/forms/crash/endpoints", { url: receiver.url, retry_schedule: [0, 1000, 1000], throttle_floor_ms: 4000 });
    receiver.setSecrets(ep.secret);
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${worker.url}/f/crash`, { method: "POST", body: `n=${i}`, headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" } });
      ids.push((await res.json()).id);
    }
    await receiver.waitForCount(() => true, 5);
    const firstFailed = receiver.requests[0];
    assert.equal(receiver.requests.filter((q) => q.headers["webhook-id"] === firstFailed.headers["webhook-id"]).length, 1);

    await worker.kill9();
    const exited = await worker.exited;
    assert.equal(exited.signal, "SIGKILL");
    worker = await startWorker(options);

    const retried = await receiver.waitFor((q) => q.headers["webhook-id"] === firstFailed.headers["webhook-id"] && q.headers["x-formhook-attempt"] === "2", 30_000);
    assert.equal(retried[0].verified, true);
    const stored = await api("GET", "/api/forms/crash/submissions?limit=50");
    assert.deepEqual(stored.data.map((s) => s.id).sort(), [...ids].sort());
    // Every submission had reached the receiver before the kill (waitForCount above), so the
    // receiver's log proves nothing about the restart: read the restarted worker's own records.
    const records = await eventually(async () => {
      const list = (await api("GET", `/api/forms/crash/endpoints/${ep.id}/deliveries?limit=50`)).data;
      return list?.length === 5 && list.every((d) => d.status === "delivered") && list;
    }, 30_000, "five delivered deliveries after the restart");
    assert.deepEqual(records.map((d) => d.submission_id).sort(), [...ids].sort());
    const retriedRecord = records.find((d) => d.message_id === firstFailed.headers["webhook-id"]);
    assert.ok(retriedRecord.attempts >= 2, `the retried delivery made ${retriedRecord.attempts} attempts`);
  } finally {
    await worker.stop();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
