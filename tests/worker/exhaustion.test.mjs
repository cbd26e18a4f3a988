// What a client without the admin token can make the running worker spend: memory held by posts
// that stall, and the bytes a submission keeps of headers the body limit does not count. One
// worker for the file; the manual probe with the figures behind these is
// tests/worker/probe-exhaustion.mjs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";

let worker;
let dir;
const token = randomBytes(16).toString("hex");
const api = adminApi(() => worker.url, token);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-exhaustion-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
});

after(async () => {
  await worker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const post = (form, body, headers = {}) =>
  fetch(`${worker.url}/f/${form}`, {
    method: "POST",
    body,
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded", ...headers },
  });

test("posts that declare the form's whole limit and stall do not reserve it: 200 of them open at once break nothing", async () => {
  // The default limit is 30 MB. Each stalled post used to reserve its declared length in the
  // worker's wasm memory up front; 200 × 29 MB is past the 4 GB a wasm memory can hold, and the
  // post that found no memory was answered 500.
  assert.equal((await api("POST", "/api/forms", { id: "stall", rate_limit_per_minute: 0 })).status, 201);
  assert.equal((await post("stall", "a=warm")).status, 201);
  const declared = 29 * 1024 * 1024;
  const { port } = new URL(worker.url);
  const sockets = [];
  const answers = [];
  for (let i = 0; i < 200; i++) {
    const socket = net.connect(Number(port), "127.0.0.1");
    socket.on("data", (d) => answers.push(d.toString("latin1").split("\r\n")[0]));
    socket.on("error", () => {});
    socket.write(
      `POST /f/stall HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${declared}\r\n\r\na=`,
    );
    sockets.push(socket);
  }
  // Every stalled post reaches the worker (which then waits for its body) before the honest
  // ones below are answered: each is one more request behind the same proxy.
  for (let i = 0; i < 20; i++) assert.equal((await post("stall", `a=honest-${i}`)).status, 201);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const early = [...answers];
  for (const socket of sockets) socket.destroy();
  assert.deepEqual(early, [], "no stalled post was answered (a 500 means the worker ran out of memory)");
  assert.equal((await post("stall", "a=after")).status, 201);
});

test("a large honest body is read whole across the buffer's growth: the stored file is byte for byte the upload", async () => {
  assert.equal((await api("POST", "/api/forms", { id: "upload", keep_files: true, rate_limit_per_minute: 0 })).status, 201);
  const file = randomBytes(20 * 1024 * 1024 + 12345);
  const boundary = `----exhaustion${randomBytes(6).toString("hex")}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="f.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await post("upload", body, { "content-type": `multipart/form-data; boundary=${boundary}` });
  const answer = await res.json();
  assert.equal(res.status, 201, JSON.stringify(answer));
  const download = await fetch(`${worker.url}/api/forms/upload/submissions/${answer.id}/files/0`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(download.status, 200);
  const stored = Buffer.from(await download.arrayBuffer());
  assert.equal(stored.length, file.length);
  assert.equal(createHash("sha256").update(stored).digest("hex"), createHash("sha256").update(file).digest("hex"));
});

test("a submission keeps at most 2048 bytes of User-Agent and Referer, however long the headers", async () => {
  // Headers are outside the form's body limit: a three-byte post stored 120 KB of them.
  assert.equal((await api("POST", "/api/forms", { id: "headers", rate_limit_per_minute: 0, max_body_bytes: 1024 })).status, 201);
  const userAgent = `Mozilla/5.0 ${"u".repeat(60_000)}`;
  const referer = `https://site.example/${"r".repeat(60_000)}`;
  const res = await post("headers", "a=1", { "user-agent": userAgent, referer });
  const answer = await res.json();
  assert.equal(res.status, 201, JSON.stringify(answer));
  const stored = await api("GET", `/api/forms/headers/submissions/${answer.id}`);
  assert.equal(stored.status, 200);
  const { meta } = stored.json;
  // Compared by length and prefix: a failure prints no 60 KB strings.
  assert.equal(meta.user_agent.length, 2048);
  assert.ok(userAgent.startsWith(meta.user_agent));
  assert.equal(meta.referer.length, 2048);
  assert.ok(referer.startsWith(meta.referer));
  assert.ok(stored.text.length < 8 * 1024, `the stored submission is ${stored.text.length} bytes`);
  // A browser's own headers are kept whole.
  const browser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
  const plain = await (await post("headers", "a=2", { "user-agent": browser, referer: "https://site.example/contact" })).json();
  const kept = (await api("GET", `/api/forms/headers/submissions/${plain.id}`)).json.meta;
  assert.equal(kept.user_agent, browser);
  assert.equal(kept.referer, "https://site.example/contact");
});

test("a client the form refused is refused again by the front, its body never handed to the form's object", async () => {
  // The object's refusal came after the front read the whole body and copied it over (locally a
  // refused 29 MB post cost ~80 ms more workerd CPU than one refused from its Content-Length). The
  // front now remembers the refusal until its Retry-After; the form's object counts the requests
  // that reach it.
  assert.equal((await api("POST", "/api/forms", { id: "limited", rate_limit_per_minute: 1 })).status, 201);
  const requests = async () => {
    const work = await api("GET", "/api/forms/limited/work");
    assert.equal(work.status, 200, work.text);
    return work.json.form.requests;
  };
  // A refusal with at least 10 s of its minute left, so the posts below fall in the same minute
  // (a budget refilled by a minute boundary would let one through, as it should).
  for (;;) {
    const res = await post("limited", `a=${Date.now()}`);
    await res.arrayBuffer();
    const retryAfter = Number(res.headers.get("retry-after"));
    if (res.status === 429 && retryAfter >= 10) break;
    if (res.status === 429) await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
  }
  // What reading the counters costs the object by itself.
  const idle = -(await requests()) + (await requests());
  const before = await requests();
  const big = Buffer.concat([Buffer.from("a="), Buffer.alloc(5 * 1024 * 1024, "x")]);
  for (let i = 0; i < 5; i++) {
    const res = await post("limited", i % 2 ? big : `a=${i}`);
    assert.equal(res.status, 429);
    const body = await res.json();
    assert.equal(body.error.code, "rate_limited");
    assert.match(body.error.message, /^too many submissions from this address; retry in \d+ s$/);
    const retryAfter = Number(res.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  }
  assert.equal((await requests()) - before, idle, "no refused post reached the form's object");
});
