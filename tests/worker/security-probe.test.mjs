// Findings of a probe of the running worker as an outside attacker would make it, each pinned
// end to end against the real worker in workerd (one worker for the whole file): what a client
// sends must not choose what formhook signs and hands to receivers.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { groupMembers, startWorker } from "../../scripts/serve.mjs";
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

/** Every TCP port a process of the worker's group (wrangler, workerd) listens on, from /proc. */
function listeningPorts() {
  const inodes = new Set();
  for (const pid of groupMembers(worker.pid)) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      }
    } catch {}
  }
  const ports = new Set();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let lines = [];
    try {
      lines = readFileSync(table, "utf8").trim().split("\n").slice(1);
    } catch {}
    for (const line of lines) {
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      if (state === "0A" && inodes.has(inode)) ports.add(parseInt(local.split(":")[1], 16));
    }
  }
  return [...ports];
}

/**
 * Opens a DevTools WebSocket at `path` of `port` as any local process can (no Origin, no
 * User-Agent) and asks it to evaluate `6*7`. Resolves true only if code ran in the worker.
 */
function evaluates(port, path) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    let evaluating = false;
    const deadline = setTimeout(() => done(false), 10_000);
    const done = (value) => {
      clearTimeout(deadline);
      socket.destroy();
      resolve(value);
    };
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
    const send = (message) => {
      const payload = Buffer.from(JSON.stringify(message));
      const mask = Buffer.from([1, 2, 3, 4]);
      const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255]);
      socket.write(Buffer.concat([header, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]));
    };
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!/^HTTP\/1\.1 101/.test(buffer.toString("latin1"))) return done(false);
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        // An inspector proxy may still be connecting to the runtime: ask until a context comes.
        const ask = setInterval(() => (evaluating ? clearInterval(ask) : send({ id: 1, method: "Runtime.enable" })), 500);
        socket.on("close", () => clearInterval(ask));
        return;
      }
      // The answer is found in the frames' text; a context id arrives with Runtime.enable.
      const text = buffer.toString("utf8");
      const context = /executionContextCreated".*?"id":(\d+)/.exec(text);
      if (context && !evaluating) {
        evaluating = true;
        send({ id: 2, method: "Runtime.evaluate", params: { expression: "6*7", contextId: Number(context[1]) } });
      }
      if (/"id":2,"result":\{"result":\{"type":"number","value":42/.test(text)) done(true);
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  });
}

test("no port of the running worker is a DevTools inspector that runs code in it without a credential", async () => {
  // Found: wrangler dev's CLI always opens a DevTools inspector on 127.0.0.1 (its port on
  // wrangler's command line, which every user of the machine can read with ps). A local process
  // connected to it, evaluated code in the worker and read the ADMIN_TOKEN off the next admin
  // request. The launcher now starts wrangler through its API with the inspector off.
  const ports = listeningPorts();
  assert.ok(ports.includes(worker.port), `the worker's own port is found among ${ports}`);
  for (const port of ports) {
    let targets = [];
    try {
      const res = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      if (text.includes("webSocketDebuggerUrl")) targets = JSON.parse(text).map((t) => new URL(t.webSocketDebuggerUrl).pathname);
    } catch {}
    assert.deepEqual(targets, [], `port ${port} lists DevTools targets`);
    for (const path of ["/ws", "/"]) {
      assert.equal(await evaluates(port, path), false, `port ${port}${path} evaluated code in the worker`);
    }
  }
});
