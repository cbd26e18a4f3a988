// Hardening of the public edge (issue 12), end to end against the real worker in workerd: bodies
// stop at the form's limit while streaming (workerd's memory measured), scheme switches never
// leave an endpoint without a usable secret, weak secrets are refused, delivery loops are cut,
// the pages carry a Content-Security-Policy, and per-form ceilings hold across clients.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { brotliCompressSync, constants as zlibConstants } from "node:zlib";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { groupMembers, startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { eventually, startReceiver } from "./receiver.mjs";

let worker;
let dir;
const token = randomBytes(16).toString("hex");
const receivers = [];

const api = adminApi(() => worker.url, token);

async function receiver(options) {
  const r = await startReceiver(options);
  receivers.push(r);
  return r;
}

const submit = (form, body, headers = {}) =>
  fetch(`${worker.url}/f/${form}`, {
    method: "POST",
    body,
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded", ...headers },
    redirect: "manual",
  });

/** The workerd processes of the launcher's process group. */
function workerdPids() {
  return groupMembers(worker.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").includes("workerd");
    } catch {
      return false;
    }
  });
}

/**
 * Memory of every workerd process of this worker, summed, in bytes: `VmHWM` (the peak resident
 * set) or `VmRSS` (resident now), from /proc.
 */
function workerdMemory(field) {
  let total = 0;
  for (const pid of workerdPids()) {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    total += Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)[1]) * 1024;
  }
  return total;
}

/**
 * Whether wrangler's local proxy lost the worker's answer: the worker answered before reading
 * the whole body and the proxy, still sending it, answered 500 "Network connection lost" (or
 * the connection reset). The worker's own log line then says what it answered.
 */
const proxyLost = (res) => res.reset || (res.status === 500 && /Network connection lost/.test(res.body));

/** The status wrangler logged for the `nth` (1-based) `method path` request of this worker. */
async function loggedStatus(method, path, nth) {
  const line = new RegExp(`${method} ${path.replace(/[/.]/g, "\\$&")} (\\d{3})`, "g");
  let seen = [];
  for (let i = 0; i < 100 && seen.length < nth; i++) {
    seen = [...worker.output().matchAll(line)];
    if (seen.length < nth) await new Promise((r) => setTimeout(r, 50));
  }
  return Number(seen[nth - 1]?.[1]);
}

/**
 * Posts up to `totalBytes` of `a` with `Transfer-Encoding: chunked` (no length given) and stops
 * sending once the answer arrives. The request is never ended: a server that waits for the end of
 * the body before refusing never answers (the guard below fails the test after 60 s), so any answer
 * proves the limit is enforced while streaming. Resolves with the status, the body and how much had
 * been sent by then.
 */
function chunkedFlood(path, totalBytes, headers = {}) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answer;
    const guard = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer after ${sent} bytes of a body that was still open`));
    }, 60_000);
    const finish = (value) => {
      clearTimeout(guard);
      resolve(value);
    };
    const req = http.request(`${worker.url}${path}`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded", ...headers },
    });
    req.on("response", (res) => {
      answer = { status: res.statusCode, sentAtAnswer: sent, body: "" };
      res.setEncoding("utf8");
      res.on("data", (c) => (answer.body += c));
      res.on("end", () => {
        req.destroy();
        finish(answer);
      });
    });
    // Answering early, workerd closes the connection while the client still sends; the client's
    // kernel may then take the reset before Node has read the answer (ECONNRESET). The caller
    // reads the status from wrangler's request log instead.
    // The reset may also cut the answer's body short after its status arrived.
    req.on("error", (err) => finish(answer ? { ...answer, reset: err.code } : { status: undefined, reset: err.code, sentAtAnswer: sent, body: "" }));
    const chunk = Buffer.alloc(64 * 1024, "a");
    const pump = () => {
      while (sent < totalBytes && !answer) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
    };
    pump();
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-harden-"));
  worker = await startWorker({
    port: 0,
    persistDir: dir,
    adminToken: token,
    ssrfAllowlist: "127.0.0.1",
    quiet: true,
    trustClientIp: true,
  });
});

after(async () => {
  await worker?.stop();
  for (const r of receivers) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("1. bodies stop at the limit while streaming", () => {
  test("a 100 MB chunked post to a 1 MB form: 413 at once, workerd does not buffer it", async () => {
    assert.equal((await api("POST", "/api/forms", { id: "big", max_body_bytes: 1024 * 1024 })).status, 201);
    // Warm the form's object and the front so the measurement is the body alone.
    assert.equal((await submit("big", "a=1")).status, 201);
    const before = workerdMemory("VmHWM");
    assert.ok(before > 0, "found workerd");
    const total = 100 * 1024 * 1024;
    const res = await chunkedFlood("/f/big", total);
    const growth = workerdMemory("VmHWM") - before;
    console.log(`workerd peak RSS grew by ${(growth / 1048576).toFixed(1)} MB for a ${total / 1048576} MB chunked body; answered after ${(res.sentAtAnswer / 1048576).toFixed(1)} MB sent`);
    // The second post to /f/big (after the warm-up).
    if (proxyLost(res)) assert.equal(await loggedStatus("POST", "/f/big", 2), 413, "the worker answered 413");
    else {
      assert.equal(res.status, 413, res.body);
      assert.equal(JSON.parse(res.body).error.code, "body_too_large");
    }
    // Buffered whole, it grew by ~300 MB; streamed, what remains is workerd's own socket and
    // proxy buffers (~40 MB here).
    assert.ok(growth < 64 * 1024 * 1024, `workerd grew by ${growth} bytes`);
    const list = await api("GET", "/api/forms/big/submissions");
    assert.equal(list.json.data.length, 1, "nothing stored for the refused body");
  });

  test("a declared length over the form's own limit is refused before reading", async () => {
    assert.equal((await api("POST", "/api/forms", { id: "small", max_body_bytes: 100 })).status, 201);
    const res = await submit("small", `a=${"x".repeat(500)}`);
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "body_too_large");
    assert.equal((await submit("small", "a=1")).status, 201);
  });

  test("the admin API caps its bodies at 1 MB, chunked or not", async () => {
    const before = (await api("GET", "/api/forms")).json.data.length;
    const res = await chunkedFlood("/api/forms", 20 * 1024 * 1024, { authorization: `Bearer ${token}`, "content-type": "application/json" });
    // Posts to /api/forms so far: one per form created, then this one.
    if (proxyLost(res)) assert.equal(await loggedStatus("POST", "/api/forms", before + 1), 413, "the worker answered 413");
    else {
      assert.equal(res.status, 413, res.body);
      assert.equal(JSON.parse(res.body).error.code, "body_too_large");
    }
    const sized = await fetch(`${worker.url}/api/forms`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) }),
    });
    assert.equal(sized.status, 413);
  });
});

describe("3. scheme switches and weak secrets", () => {
  test("PATCHing the scheme validates the live secrets; with a new secret it signs with it", async () => {
    const r = await receiver({ scheme: "github" });
    assert.equal((await api("POST", "/api/forms", { id: "switch", rate_limit_per_minute: 0 })).status, 201);
    const secret = "a plain github secret of some length";
    const ep = await api("POST", "/api/forms/switch/endpoints", { url: r.url, scheme: "github", secret });
    assert.equal(ep.status, 201, JSON.stringify(ep.json));
    r.setSecrets(secret);
    const path = `/api/forms/switch/endpoints/${ep.json.id}`;

    const refused = await api("PATCH", path, { scheme: "standard-webhooks" });
    assert.equal(refused.status, 422, JSON.stringify(refused.json));
    assert.equal(refused.json.error.code, "secret_invalid_for_scheme");
    assert.equal((await api("GET", path)).json.scheme, "github", "nothing changed");

    // Deliveries still go out signed the GitHub way.
    assert.equal((await submit("switch", "n=1")).status, 201);
    const [first] = await r.waitFor(() => true);
    assert.equal(first.verified, true, first.error);

    const weak = await api("PATCH", path, { scheme: "standard-webhooks", secret: "whsec_AA==" });
    assert.equal(weak.status, 422);
    assert.equal(weak.json.error.code, "secret_too_short");

    const next = `whsec_${randomBytes(24).toString("base64")}`;
    const switched = await api("PATCH", path, { scheme: "standard-webhooks", secret: next });
    assert.equal(switched.status, 200, JSON.stringify(switched.json));
    assert.equal(switched.json.scheme, "standard-webhooks");
    r.state.scheme = "standard-webhooks";
    r.setSecrets(next);
    assert.equal((await submit("switch", "n=2")).status, 201);
    const got = await r.waitForCount(() => true, 2);
    for (const request of got) assert.equal(request.verified, true, request.error);
    assert.match(got[1].headers["webhook-signature"], /^v1,[A-Za-z0-9+/]{43}=$/);
    const unsigned = r.requests.filter((q) => !q.verified);
    assert.deepEqual(unsigned, [], "no delivery went out unsigned");
  });

  test("weak secrets are refused on create and rotation, per scheme", async () => {
    assert.equal((await api("POST", "/api/forms", { id: "weak" })).status, 201);
    const create = (body) => api("POST", "/api/forms/weak/endpoints", { url: "http://127.0.0.1:9/x", enabled: false, ...body });
    for (const [scheme, secret] of [["standard-webhooks", "whsec_AA=="], ["github", "a"], ["stripe", "whsec_x"], ["standard-webhooks", `whsec_${Buffer.alloc(16, 1).toString("base64")}`]]) {
      const res = await create({ scheme, secret });
      assert.equal(res.status, 422, `${scheme} ${secret}: ${JSON.stringify(res.json)}`);
      assert.equal(res.json.error.code, "secret_too_short", secret);
      if (secret.length >= 6) assert.ok(!JSON.stringify(res.json).includes(secret), "the secret is not echoed");
    }
    const ok = await create({ scheme: "github", secret: "sixteen bytes!!!" });
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
    const rotate = await api("POST", `/api/forms/weak/endpoints/${ok.json.id}/rotate-secret`, { secret: "a" });
    assert.equal(rotate.status, 422);
    assert.equal(rotate.json.error.code, "secret_too_short");
  });
});

describe("4. delivery loops", () => {
  test("an endpoint URL on this worker is refused, however the address is written", async () => {
    assert.equal((await api("POST", "/api/forms", { id: "loop" })).status, 201);
    const port = new URL(worker.url).port;
    for (const url of [`${worker.url}/f/loop`, `http://127.0.0.1:${port}/./f/loop/`, `HTTP://0x7f000001:${port}/f/loop`, `http://127.0.0.2:${port}/f/loop`, `http://[::ffff:127.0.0.1]:${port}/f/x`]) {
      const res = await api("POST", "/api/forms/loop/endpoints", { url });
      assert.equal(res.status, 422, `${url}: ${JSON.stringify(res.json)}`);
      assert.equal(res.json.error.code, "url_is_this_worker", url);
    }
    const r = await receiver();
    const ep = await api("POST", "/api/forms/loop/endpoints", { url: r.url });
    assert.equal(ep.status, 201);
    const patched = await api("PATCH", `/api/forms/loop/endpoints/${ep.json.id}`, { url: `${worker.url}/f/loop` });
    assert.equal(patched.status, 422);
    assert.equal(patched.json.error.code, "url_is_this_worker");
  });

  test("a post carrying formhook's delivery headers is refused and stores nothing", async () => {
    assert.equal((await api("POST", "/api/forms", { id: "loop2", rate_limit_per_minute: 0 })).status, 201);
    for (const headers of [{ "x-formhook-event": "form.submission.created" }, { "user-agent": "formhook/0.1.0" }, { "X-Formhook-Delivery": "att_1" }]) {
      const res = await submit("loop2", "a=1", headers);
      assert.equal(res.status, 508, JSON.stringify(headers));
      assert.equal((await res.json()).error.code, "delivery_loop");
    }
    assert.deepEqual((await api("GET", "/api/forms/loop2/submissions")).json.data, []);
    assert.equal((await submit("loop2", "a=1", { "user-agent": "Mozilla/5.0 formhook/1" })).status, 201);
  });
});

describe("5. pages carry a Content-Security-Policy", () => {
  const check = (res, where) => {
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /frame-ancestors 'none'/, `${where}: ${csp}`);
    // 'none' where a page loads nothing but its stylesheet (the ingest error page), else 'self'.
    assert.match(csp, /default-src '(self|none)'/, where);
    const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1];
    if (scriptSrc === undefined) {
      // No script-src: default-src governs, and it must then allow no script at all.
      assert.match(csp, /default-src 'none'/, `${where}: ${csp}`);
    } else {
      const script = scriptSrc.trim().split(/\s+/);
      // 'self', or (the ingest error page) only inline scripts named by their hash.
      const hashesOnly = script.every((source) => /^'sha256-[A-Za-z0-9+/]+=*'$/.test(source));
      assert.ok(script.includes("'self'") || hashesOnly, `${where}: script-src ${script}`);
      for (const unsafe of ["'unsafe-inline'", "'unsafe-eval'", "*", "data:", "blob:"]) assert.ok(!script.includes(unsafe), `${where}: script-src ${script}`);
    }
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", where);
    assert.ok(res.headers.get("referrer-policy"), where);
  };

  test("dashboard, playground, demo, index, assets, thank-you and error pages", async () => {
    for (const path of ["/", "/dashboard/", "/playground/", "/demo/", "/style.css", "/lib/api.js", "/thanks?form=x", "/no-such-page"]) {
      const res = await fetch(`${worker.url}${path}`);
      await res.arrayBuffer();
      check(res, path);
    }
    // An HTML form post (fetch would send Sec-Fetch-Mode: cors and get JSON).
    const err = await new Promise((resolve, reject) => {
      const req = http.request(`${worker.url}/f/no-such-form`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html", "sec-fetch-mode": "navigate" } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ text, headers: new Headers(res.headers) }));
      });
      req.on("error", reject);
      req.end("a=1");
    });
    assert.match(err.text, /Submission not accepted/);
    check(err, "error page");
  });
});

describe("2. per-form ceilings", () => {
  test("eight addresses of one IPv6 /64 share one client budget", async () => {
    assert.equal((await api("POST", "/api/forms", { id: "v6", rate_limit_per_minute: 3 })).status, 201);
    const statuses = [];
    for (let i = 1; i <= 8; i++) statuses.push((await submit("v6", "a=1", { "cf-connecting-ip": `2001:db8:1:2::${i}` })).status);
    assert.deepEqual(statuses.filter((s) => s === 201).length, 3, statuses.join());
    assert.equal(statuses.filter((s) => s === 429).length, 5);
  });

  test("the form's ceiling holds across clients: 429 form_rate_limited", async () => {
    const form = await api("POST", "/api/forms", { id: "ceiling", rate_limit_per_minute: 0, max_submissions_per_minute: 4 });
    assert.equal(form.status, 201, JSON.stringify(form.json));
    assert.equal(form.json.max_submissions_per_minute, 4);
    const answers = [];
    for (let i = 1; i <= 7; i++) {
      const res = await submit("ceiling", "a=1", { "cf-connecting-ip": `198.51.100.${i}` });
      answers.push([res.status, (await res.json()).error?.code]);
    }
    // Seven clients, a ceiling of four (a minute boundary between the posts may refill it once).
    assert.deepEqual(answers.slice(0, 4).map(([s]) => s), [201, 201, 201, 201], JSON.stringify(answers));
    const refused = answers.filter(([s]) => s !== 201);
    assert.ok(refused.length > 0, JSON.stringify(answers));
    for (const answer of refused) assert.deepEqual(answer, [429, "form_rate_limited"]);
  });

  test("the form's storage quota: 507 storage_quota_exceeded once it is full", async () => {
    const form = await api("POST", "/api/forms", { id: "quota", rate_limit_per_minute: 0, storage_quota_bytes: 4096 });
    assert.equal(form.status, 201, JSON.stringify(form.json));
    const answers = [];
    for (let i = 0; i < 6; i++) {
      // (Each post differs: the same post again would be answered as a duplicate.)
      const res = await submit("quota", `a=${"x".repeat(1000)}&n=${i}`);
      answers.push([res.status, (await res.json()).error?.code]);
    }
    assert.deepEqual(answers[0], [201, undefined]);
    assert.ok(answers.some(([s, c]) => s === 507 && c === "storage_quota_exceeded"), JSON.stringify(answers));
    const stored = (await api("GET", "/api/forms/quota/submissions")).json.data.length;
    assert.equal(stored, answers.filter(([s]) => s === 201).length);
    assert.ok(stored < 6);
  });
});


describe("7. small ones", () => {
  test("timeout_ms takes exactly the bounds API.md gives", async () => {
    const doc = readFileSync(fileURLToPath(new URL("../../worker/API.md", import.meta.url)), "utf8");
    const [, min, max] = /timeout_ms\?: (\d+)\.\.(\d+)/.exec(doc).map(Number);
    assert.equal((await api("POST", "/api/forms", { id: "bounds" })).status, 201);
    const create = (timeout_ms) => api("POST", "/api/forms/bounds/endpoints", { url: "http://127.0.0.1:9/x", enabled: false, timeout_ms });
    for (const ok of [min, max]) assert.equal((await create(ok)).status, 201, `timeout_ms ${ok}`);
    for (const bad of [min - 1, max + 1]) {
      const res = await create(bad);
      assert.equal(res.status, 422, `timeout_ms ${bad}`);
      assert.match(res.json.error.message, new RegExp(`timeout_ms.*${min} to ${max}`));
    }
  });

  test("a NUL in a field name is refused alike in urlencoded, JSON and multipart", async () => {
    assert.equal((await api("POST", "/api/forms", { id: "nul", rate_limit_per_minute: 0 })).status, 201);
    const multipart = Buffer.from('--b\r\nContent-Disposition: form-data; name="a\0b"\r\n\r\n1\r\n--b--\r\n', "latin1");
    const bodies = [
      ["application/x-www-form-urlencoded", "a%00b=1"],
      ["application/json", JSON.stringify({ "a\u0000b": 1 })],
      ["multipart/form-data; boundary=b", multipart],
    ];
    for (const [type, body] of bodies) {
      const res = await submit("nul", body, { "content-type": type });
      assert.equal(res.status, 400, type);
      assert.equal((await res.json()).error.code, "nul_in_name", type);
    }
    assert.deepEqual((await api("GET", "/api/forms/nul/submissions")).json.data, []);
  });
});

describe("8. no development tools on the worker's port", () => {
  test("wrangler's local explorer (every object's tables, every R2 object) is not served", async () => {
    assert.equal((await api("POST", "/api/forms", { id: "devtools" })).status, 201);
    const paths = [
      "/cdn-cgi/local/explorer",
      "/cdn-cgi/local/explorer/api",
      "/cdn-cgi/local/explorer/api/workers/durable_objects/namespaces",
      "/cdn-cgi/local/explorer/api/r2/buckets",
      "/cdn-cgi/local/explorer/api/local/observability/query",
    ];
    for (const path of paths) {
      const res = await fetch(`${worker.url}${path}`);
      const text = await res.text();
      assert.notEqual(res.status, 200, path);
      assert.doesNotMatch(text, /FormStore|EndpointQueue|formhook-files|openapi/i, path);
    }
    // A write through the explorer's query route is refused too, and changes nothing.
    const query = await fetch(`${worker.url}/cdn-cgi/local/explorer/api/workers/durable_objects/namespaces/formhook-FormStore/query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sql: "DELETE FROM kv" }),
    });
    assert.notEqual(query.status, 200);
    assert.equal((await api("GET", "/api/forms/devtools")).status, 200);
  });
});

describe("9. a receiver's answer", () => {
  test("a compressed answer is decoded no further than the excerpt", async () => {
    // 256 MiB of "a" in a few hundred bytes of brotli: its Content-Length says nothing of what decoding
    // it yields, so the worker must stream it and stop at the excerpt's 4 KB.
    const bomb = brotliCompressSync(Buffer.alloc(256 * 1024 * 1024, "a"), { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } });
    assert.ok(bomb.length < 4096, `${bomb.length} bytes`);
    const r = await receiver({ respond: () => ({ status: 200, headers: { "content-encoding": "br", "content-length": String(bomb.length) }, body: bomb }) });
    assert.equal((await api("POST", "/api/forms", { id: "bomb", rate_limit_per_minute: 0 })).status, 201);
    const ep = await api("POST", "/api/forms/bomb/endpoints", { url: r.url });
    assert.equal(ep.status, 201);
    const rssBefore = workerdMemory("VmRSS");
    assert.equal((await submit("bomb", "name=Ada")).status, 201);
    const delivery = await eventually(async () => {
      const list = (await api("GET", `/api/forms/bomb/endpoints/${ep.json.id}/deliveries`)).json.data;
      return list[0]?.status === "delivered" && list[0];
    }, 30_000, "delivered");
    const detail = (await api("GET", `/api/forms/bomb/endpoints/${ep.json.id}/deliveries/${delivery.id}`)).json;
    const [attempt] = detail.attempt_log;
    assert.equal(attempt.status, 200);
    assert.ok(attempt.response_excerpt.length > 0 && attempt.response_excerpt.length <= 4096, `${attempt.response_excerpt.length} chars`);
    const grown = workerdMemory("VmRSS") - rssBefore;
    assert.ok(grown < 128 * 1024 * 1024, `workerd grew by ${Math.round(grown / 1048576)} MiB`);
  });
});

describe("10. unknown ids reach no object", () => {
  /** Every file under the local Durable Object storage (one SQLite database per object). */
  function objectFiles() {
    const out = [];
    const walk = (d) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else out.push(join(d, e.name));
      }
    };
    walk(join(dir, "v3", "do"));
    return out.sort();
  }

  test("posts, preflights, captcha and key lookups for ids nobody made store nothing", async () => {
    // A real form and endpoint first: their objects exist and answer.
    assert.equal((await api("POST", "/api/forms", { id: "known", rate_limit_per_minute: 0 })).status, 201);
    const ep = await api("POST", "/api/forms/known/endpoints", { url: "http://127.0.0.1:9/x", signing: "ed25519" });
    assert.equal(ep.status, 201, JSON.stringify(ep.json));
    assert.equal((await submit("known", "a=1")).status, 201);
    assert.equal((await fetch(`${worker.url}/keys/${ep.json.id}`)).status, 200);
    const before = objectFiles();
    for (let i = 0; i < 25; i++) {
      const form = `nobody-${i}-${randomBytes(4).toString("hex")}`;
      const post = await submit(form, "a=1");
      assert.equal(post.status, 404);
      assert.equal((await post.json()).error.code, "form_not_found");
      assert.equal((await fetch(`${worker.url}/f/${form}`, { method: "OPTIONS", headers: { origin: "https://a.example" } })).status, 404);
      assert.equal((await fetch(`${worker.url}/f/${form}/captcha`)).status, 404);
      const keys = await fetch(`${worker.url}/keys/ep_${randomBytes(13).toString("hex").slice(0, 26)}`);
      assert.equal(keys.status, 404);
      assert.equal(keys.headers.get("cache-control"), "no-store");
      assert.equal((await keys.json()).error.code, "endpoint_not_found");
    }
    assert.deepEqual(objectFiles(), before, "no object storage for unknown ids");
    // The known ones still answer; a deleted endpoint's keys are gone.
    assert.equal((await submit("known", "a=2")).status, 201);
    assert.equal((await api("DELETE", `/api/forms/known/endpoints/${ep.json.id}`)).status, 204);
    assert.equal((await fetch(`${worker.url}/keys/${ep.json.id}`)).status, 404);
  });
});
