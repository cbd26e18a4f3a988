// End to end: a replay of a delivery that is waiting for its retry supersedes that retry. The
// receiver gets the replay, and the retry never fires: one delivery, not two.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { eventually, startReceiver } from "./receiver.mjs";

let worker;
let dir;
let receiver;
const token = randomBytes(16).toString("hex");

const api = adminApi(() => `${worker.url}/api`, token);

const submit = async (form, body) => {
  const res = await fetch(`${worker.url}/f/${form}`, {
    method: "POST",
    body,
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
  });
  assert.equal(res.status, 201);
  return (await res.json()).id;
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-replay-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
  // The first request for the "first" submission fails; every other request succeeds.
  receiver = await startReceiver({
    respond: (record) => {
      const first = receiver.requests.filter((q) => q.json?.submission?.data?.name === "first");
      return { status: record.json?.submission?.data?.name === "first" && first.length === 1 ? 500 : 200 };
    },
  });
});

after(async () => {
  await worker?.stop();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("replaying a delivery that waits for its retry sends it once; the retry never fires", async () => {
  // One attempt, then a retry 20 s later (±20 % jitter): long enough to replay before it on a
  // loaded machine, short enough to wait past it.
  assert.equal((await api("POST", "/forms", { id: "replayed", rate_limit_per_minute: 0 })).status, 201);
  const ep = await api("POST", "/forms/replayed/endpoints", { url: receiver.url, retry_schedule: [0, 20_000] });
  assert.equal(ep.status, 201, JSON.stringify(ep.json));
  receiver.setSecrets(ep.json.secret);
  const deliveries = async () => (await api("GET", `/forms/replayed/endpoints/${ep.json.id}/deliveries`)).json.data;

  const id = await submit("replayed", "name=first");
  const [failed] = await receiver.waitFor((q) => q.json?.submission?.id === id);
  const messageId = failed.headers["webhook-id"];
  // The delivery waits for its retry: attempted once, pending, with a time for the next attempt.
  const waiting = await eventually(async () => {
    const [d] = await deliveries();
    return d?.attempts === 1 && d.status === "pending" && d.next_attempt_at && d;
  }, 30_000, "the failed delivery waiting for its retry");
  const retryAt = Date.parse(waiting.next_attempt_at);
  assert.ok(retryAt > Date.now(), "the retry is still ahead when the replay is sent");

  const replayed = await api("POST", `/forms/replayed/submissions/${id}/replay`, { endpoint_id: ep.json.id });
  assert.equal(replayed.status, 202, JSON.stringify(replayed.json));
  const [, again] = await receiver.waitForCount((q) => q.headers["webhook-id"] === messageId, 2);
  assert.equal(again.verified, true, again.error);
  // A new delivery's first attempt (a retry would be the original's attempt 2).
  assert.equal(again.headers["x-formhook-attempt"], "1");

  // Wait past the superseded retry's time, then until a later post has been delivered: the
  // queue's alarm has run after the retry fell due, so an unsuperseded retry would have gone.
  await eventually(async () => Date.now() > retryAt + 2_000, 60_000, "the retry's time to pass");
  const later = await submit("replayed", "name=later");
  await receiver.waitFor((q) => q.json?.submission?.id === later, 30_000);
  await eventually(async () => (await deliveries()).every((d) => d.status !== "pending"), 30_000, "nothing pending");

  const forMessage = receiver.requests.filter((q) => q.headers["webhook-id"] === messageId);
  assert.deepEqual(
    forMessage.map((q) => q.headers["x-formhook-attempt"]),
    ["1", "1"],
    "the failed first attempt, then the replay's; no retry (it would be attempt 2)",
  );
  const list = await deliveries();
  const original = list.find((d) => d.id === waiting.id);
  assert.equal(original.status, "skipped");
  assert.equal(original.attempts, 1, "the superseded delivery was never attempted again");
  assert.equal(original.next_attempt_at, null);
  const replay = list.find((d) => d.replay);
  assert.equal(replay.status, "delivered");
  assert.equal(replay.message_id, messageId);
  assert.match(original.last_error, new RegExp(`^superseded by replay ${replay.id}$`));
  const detail = await api("GET", `/forms/replayed/endpoints/${ep.json.id}/deliveries/${original.id}`);
  assert.deepEqual(detail.json.attempt_log.map((a) => a.status), [500]);
});
