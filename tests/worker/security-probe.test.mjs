// Findings of a probe of the running worker as an outside attacker would make it, each pinned
// end to end against the real worker in workerd (one worker for the whole file): what a client
// sends must not choose what formhook signs and hands to receivers.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { startReceiver } from "./receiver.mjs";

let worker;
let dir;
const token = randomBytes(16).toString("hex");
const receivers = [];

const api = adminApi(() => worker.url, token);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-probe-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
});

after(async () => {
  await worker?.stop();
  for (const r of receivers) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A form with one endpoint delivering its submissions to a new receiver. */
async function formWithReceiver(id) {
  const form = await api("POST", "/api/forms", { id, rate_limit_per_minute: 0, duplicate_window_seconds: 0 });
  assert.equal(form.status, 201, form.text);
  const r = await startReceiver();
  receivers.push(r);
  const ep = await api("POST", `/api/forms/${id}/endpoints`, { url: r.url, events: ["form.submission.created"] });
  assert.equal(ep.status, 201, ep.text);
  r.setSecrets(ep.json.secret);
  return r;
}

/**
 * POSTs `body` to `path` with exactly `headers` (node:http: `fetch` cannot send a Host header of
 * its own choosing). Resolves with the status and the parsed JSON answer.
 */
function rawPost(path, headers, body) {
  const { hostname, port } = new URL(worker.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: "POST", headers, setHost: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, json: JSON.parse(Buffer.concat(chunks).toString() || "null") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("a client's Host header does not choose the origin of the file links formhook signs into events", async () => {
  // Found: file links started with the origin of the submission's request URL, which a client
  // chooses with its Host header (and X-Forwarded-Proto). Anyone who can post to a form made
  // formhook sign and deliver events whose `files[].url` pointed at the attacker's server; a
  // receiver that fetches its files then fetches the attacker's bytes, trusting them as the
  // upload. The launcher now gives the worker its own URL as PUBLIC_URL.
  const receiver = await formWithReceiver("hostlinks");
  const boundary = "probeboundary";
  const body =
    `--${boundary}\r\nContent-Disposition: form-data; name="cv"; filename="cv.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nMallory\r\n--${boundary}--\r\n`;
  const posted = await rawPost(
    "/f/hostlinks",
    {
      host: "attacker.example",
      "x-forwarded-proto": "https",
      "content-type": `multipart/form-data; boundary=${boundary}`,
      accept: "application/json",
    },
    body,
  );
  assert.equal(posted.status, 201, JSON.stringify(posted.json));
  const [delivery] = await receiver.waitFor((r) => r.json?.submission?.id === posted.json.id, 60_000);
  assert.ok(delivery.verified, "the event is signed by formhook");
  const url = delivery.json.submission.files[0].url;
  assert.ok(url.startsWith(`${worker.url}/files/hostlinks/${posted.json.id}/0?`), url);
  // The link works where it points.
  const file = await fetch(url);
  assert.equal(file.status, 200);
  assert.equal(await file.text(), "hello");
});
