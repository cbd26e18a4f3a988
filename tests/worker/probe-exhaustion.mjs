// Manual probe, not a test (node --test does not pick it up): what an unauthenticated client can
// make a running worker spend. Start the worker as README says (`FORMHOOK_DATA=… PORT=…
// ADMIN_TOKEN=… SSRF_ALLOWLIST=127.0.0.1 node scripts/serve.mjs`), then
//   URL=http://127.0.0.1:PORT TOKEN=… DATA=… PGID=<process group of its workerd> \
//     node tests/worker/probe-exhaustion.mjs [probe…]
// (PGID: `ps -eo pid,pgid,comm | grep workerd`). Probes: unknownIds deletedForm manyParts files
// json headers slow reflect rateLimitedBodies unknownFlood. Each prints workerd CPU (from /proc/<pid>/stat) or
// memory against a baseline measured in the same run.
import { groupMembers } from "../../scripts/serve.mjs";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";

const BASE = process.env.URL;
const TOKEN = process.env.TOKEN;
const DATA = process.env.DATA;
const port = Number(new URL(BASE).port);

const api = async (method, path, body) => {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text };
};

// The workerd processes of the launcher's process group (PGID: the launcher's pid, started with setsid).
function workerdPids() {
  return groupMembers(Number(process.env.PGID)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").includes("workerd");
    } catch {
      return false;
    }
  });
}
const TICKS = 100;
function cpuMs() {
  let t = 0;
  for (const pid of workerdPids()) {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    t += Number(f[11]) + Number(f[12]);
  }
  return (t * 1000) / TICKS;
}
function mem(field) {
  let t = 0;
  for (const pid of workerdPids()) {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (m) t += Number(m[1]) * 1024;
  }
  return t;
}
const MB = (n) => `${(n / 1048576).toFixed(1)} MB`;
function files(dir = DATA) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${p} ${statSync(p).size}`);
    }
  };
  walk(dir);
  return out.sort();
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const post = (form, body, headers = {}) =>
  fetch(`${BASE}/f/${form}`, {
    method: "POST",
    body,
    headers: { accept: "application/json", ...headers },
    redirect: "manual",
  });

async function timed(label, n, fn) {
  const c0 = cpuMs();
  const t0 = performance.now();
  const statuses = {};
  for (let i = 0; i < n; i++) {
    const s = await fn(i);
    statuses[s] = (statuses[s] ?? 0) + 1;
  }
  const wall = performance.now() - t0;
  const cpu = cpuMs() - c0;
  console.log(`${label}: ${n} req, workerd CPU ${cpu.toFixed(0)} ms (${(cpu / n).toFixed(1)} ms/req), wall ${(wall / n).toFixed(1)} ms/req, statuses ${JSON.stringify(statuses)}`);
  return cpu / n;
}

function multipart(parts) {
  const boundary = "----probe" + randomBytes(8).toString("hex");
  const chunks = [];
  for (const p of parts) {
    let h = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename) h += `; filename="${p.filename}"\r\nContent-Type: application/octet-stream`;
    chunks.push(Buffer.from(h + "\r\n\r\n"), Buffer.from(p.value), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

async function setup() {
  for (const f of [
    { id: "plain", rate_limit_per_minute: 0, max_submissions_per_minute: 100000 },
    { id: "files", rate_limit_per_minute: 0, keep_files: true, max_submissions_per_minute: 100000 },
    { id: "json", rate_limit_per_minute: 0, max_submissions_per_minute: 100000 },
  ]) {
    const r = await api("POST", "/api/forms", f);
    if (r.status !== 201 && r.status !== 409) console.log("create", f.id, r.status, r.text);
  }
}

const probes = {
  async unknownIds() {
    await post("plain", "a=1", { "content-type": "application/x-www-form-urlencoded" });
    await sleep(500);
    const before = files();
    const rnd = () => randomBytes(6).toString("hex");
    const paths = [];
    for (let i = 0; i < 10; i++) {
      const id = `zz${rnd()}`;
      paths.push(
        ["POST", `/f/${id}`],
        ["OPTIONS", `/f/${id}`],
        ["GET", `/f/${id}`],
        ["GET", `/f/${id}/captcha`],
        ["POST", `/f/${id}/captcha`],
        ["GET", `/f/${id}/x/y`],
        ["GET", `/keys/ep_${rnd()}${rnd()}${rnd()}${rnd()}${rnd().slice(0, 2)}`],
        ["GET", `/keys/${id}`],
        ["GET", `/files/${id}/sub_${rnd()}/0?exp=9999999999&sig=${rnd()}`],
        ["GET", `/files/plain/sub_${rnd()}/0`],
        ["GET", `/thanks?form=${id}&back=https://a/${id}`],
        ["GET", `/api/forms/${id}`],
        ["POST", `/api/forms`],
        ["GET", `/api/openapi.json`],
        ["GET", `/cdn-cgi/${id}`],
        ["GET", `/cdn-cgi/local/explorer/api/${id}`],
        ["GET", `/${id}.html`],
        ["GET", `/health`],
        ["GET", `/dashboard/${id}`],
      );
    }
    const statuses = {};
    for (const [m, p] of paths) {
      const r = await fetch(`${BASE}${p}`, { method: m, body: m === "POST" ? "a=1" : undefined, headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://x.example" }, redirect: "manual" });
      await r.arrayBuffer();
      const key = `${m} ${p.split("/").slice(0, 2).join("/")} ${r.status}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
    await sleep(1500);
    const after = files();
    const added = after.filter((f) => !before.includes(f.replace(/ \d+$/, "") + " " + f.split(" ").pop()) && !before.some((b) => b.split(" ")[0] === f.split(" ")[0]));
    const grown = after.filter((f) => before.some((b) => b.split(" ")[0] === f.split(" ")[0] && b !== f));
    console.log("statuses", statuses);
    console.log(`files before ${before.length}, after ${after.length}; new:`, added, "grown:", grown);
  },

  async deletedForm() {
    await api("POST", "/api/forms", { id: "gone", rate_limit_per_minute: 0 });
    await post("gone", "a=1", { "content-type": "application/x-www-form-urlencoded" });
    console.log("delete", (await api("DELETE", "/api/forms/gone")).status);
    await sleep(1500);
    const before = files();
    for (let i = 0; i < 5; i++) {
      const r = await post("gone", "a=1", { "content-type": "application/x-www-form-urlencoded" });
      console.log("post to deleted form", r.status, (await r.text()).slice(0, 100));
    }
    await sleep(1500);
    const after = files();
    console.log("new files:", after.filter((f) => !before.some((b) => b.split(" ")[0] === f.split(" ")[0])));
  },

  async manyParts() {
    const one = (n, size) => multipart(Array.from({ length: n }, (_, i) => ({ name: `f${i}`, value: "x".repeat(size) })));
    const small = one(1, 10);
    const big1 = one(1, 60_000);
    const many = one(1000, 1);
    const tooMany = one(1001, 1);
    const huge = one(20000, 1);
    console.log("sizes", small.body.length, big1.body.length, many.body.length, huge.body.length);
    await timed("baseline 1 field", 30, async () => (await post("plain", small.body, { "content-type": small.type })).status);
    await timed("1 field of 60 KB", 30, async () => (await post("plain", big1.body, { "content-type": big1.type })).status);
    await timed("1000 tiny fields", 30, async () => (await post("plain", many.body, { "content-type": many.type })).status);
    await timed("1001 tiny fields (refused)", 30, async () => (await post("plain", tooMany.body, { "content-type": tooMany.type })).status);
    await timed("20000 tiny fields (refused)", 10, async () => (await post("plain", huge.body, { "content-type": huge.type })).status);
    const urlMany = Array.from({ length: 1000 }, (_, i) => `f${i}=x`).join("&");
    await timed("urlencoded 1000 fields", 30, async () => (await post("plain", urlMany, { "content-type": "application/x-www-form-urlencoded" })).status);
    // Same name repeated: value arrays?
    const same = Array.from({ length: 1000 }, () => `a=x`).join("&");
    await timed("urlencoded 1000 x same name", 30, async () => (await post("plain", same, { "content-type": "application/x-www-form-urlencoded" })).status);
    // Big body of 30 MB with one junk field (multipart preamble)
    for (const size of [1, 4, 16]) {
      const pre = Buffer.alloc(size * 1024 * 1024, "a");
      const m = multipart([{ name: "a", value: "1" }]);
      const body = Buffer.concat([pre, Buffer.from("\r\n"), m.body]);
      await timed(`${size} MB preamble + 1 field`, 5, async () => (await post("plain", body, { "content-type": m.type })).status);
    }
  },

  async files() {
    const f = (n, size) => multipart([{ name: "a", value: "1" }, ...Array.from({ length: n }, (_, i) => ({ name: `file${i}`, filename: `f${i}.bin`, value: Buffer.alloc(size, 1) }))]);
    const r2 = () => {
      try {
        return files(join(DATA, "v3", "r2")).length;
      } catch {
        return 0;
      }
    };
    let r0 = r2();
    await timed("files form, no file", 10, async () => (await post("files", f(0, 0).body, { "content-type": f(0, 0).type })).status);
    const ten = f(10, 1);
    await timed("files form, 10 files of 1 byte", 10, async () => (await post("files", ten.body, { "content-type": ten.type })).status);
    console.log("r2 files added", r2() - r0);
    r0 = r2();
    const eleven = f(11, 1);
    await timed("files form, 11 files (refused?)", 10, async () => (await post("files", eleven.body, { "content-type": eleven.type })).status);
    console.log("r2 files added", r2() - r0);
    const zero = f(10, 0);
    await timed("files form, 10 empty files", 10, async () => (await post("files", zero.body, { "content-type": zero.type })).status);
  },

  async json() {
    const deep = (d) => "[".repeat(d) + "]".repeat(d);
    await timed("json baseline", 30, async () => (await post("json", '{"a":1}', { "content-type": "application/json" })).status);
    await timed("json depth 16", 30, async () => (await post("json", `{"a":${deep(15)}}`, { "content-type": "application/json" })).status);
    await timed("json depth 100000 (refused)", 10, async () => (await post("json", `{"a":${deep(100000)}}`, { "content-type": "application/json" })).status);
    const wide = `{"a":[${Array.from({ length: 200000 }, () => "0").join(",")}]}`;
    await timed(`json 200k array items (${wide.length} B)`, 10, async () => (await post("json", wide, { "content-type": "application/json" })).status);
    const objs = `{"a":[${Array.from({ length: 50000 }, () => "{}").join(",")}]}`;
    await timed(`json 50k empty objects`, 10, async () => (await post("json", objs, { "content-type": "application/json" })).status);
    const esc = `{"a":"${"\\u0041".repeat(150000)}"}`;
    await timed(`json 150k \\u escapes (${esc.length} B)`, 10, async () => (await post("json", esc, { "content-type": "application/json" })).status);
    const keys = `{${Array.from({ length: 1000 }, (_, i) => `"k${i}":1`).join(",")}}`;
    await timed(`json 1000 keys`, 10, async () => (await post("json", keys, { "content-type": "application/json" })).status);
    const nested = `{"a":{${Array.from({ length: 100000 }, (_, i) => `"k${i}":1`).join(",")}}}`;
    await timed(`json nested 100k keys (${nested.length} B)`, 5, async () => (await post("json", nested, { "content-type": "application/json" })).status);
    const dupKeys = `{"a":{${Array.from({ length: 100000 }, () => `"k":1`).join(",")}}}`;
    await timed(`json nested 100k duplicate keys (${dupKeys.length} B)`, 5, async () => (await post("json", dupKeys, { "content-type": "application/json" })).status);
  },

  async headers() {
    await timed("headers baseline", 20, async () => (await post("plain", "a=1", { "content-type": "application/x-www-form-urlencoded" })).status);
    const big = {};
    for (let i = 0; i < 100; i++) big[`x-h${i}`] = "v".repeat(500);
    await timed("100 headers x 500 B", 20, async () => {
      try {
        return (await post("plain", "a=1", { "content-type": "application/x-www-form-urlencoded", ...big })).status;
      } catch (e) {
        return e.cause?.code ?? "err";
      }
    });
    const ua = "u".repeat(60000);
    await timed("60 KB user-agent / referer", 20, async () => {
      try {
        return (await post("plain", "a=1", { "content-type": "application/x-www-form-urlencoded", "user-agent": ua })).status;
      } catch (e) {
        return e.cause?.code ?? "err";
      }
    });
    const ct = `multipart/form-data; ${Array.from({ length: 2000 }, (_, i) => `p${i}=v`).join("; ")}; boundary=x`;
    await timed("2000 content-type params", 20, async () => (await post("plain", "--x--\r\n", { "content-type": ct })).status);
  },

  async slow() {
    // Concurrent posts that declare a length and send (almost) nothing: what each one holds.
    const hold = async (n, declared) => {
      const sockets = [];
      const rss0 = mem("VmRSS");
      for (let i = 0; i < n; i++) {
        const s = net.connect(port, "127.0.0.1");
        s.on("error", () => {});
        s.write(`POST /f/plain HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nContent-Length: ${declared}\r\n\r\na=`);
        sockets.push(s);
      }
      await sleep(4000);
      const rss1 = mem("VmRSS");
      console.log(`${n} open posts declaring ${declared} B: workerd RSS ${MB(rss0)} -> ${MB(rss1)} (+${MB(rss1 - rss0)}), peak ${MB(mem("VmHWM"))}`);
      for (const s of sockets) s.destroy();
      await sleep(2000);
    };
    await hold(20, 100);
    await hold(20, 29 * 1024 * 1024);
    await hold(100, 29 * 1024 * 1024);
    // Does anything time out a slow body? One byte every 10 s.
    const s = net.connect(port, "127.0.0.1");
    let closed = null;
    let answer = "";
    const t0 = Date.now();
    s.on("data", (d) => (answer += d));
    s.on("close", () => (closed = Date.now() - t0));
    s.on("error", () => {});
    s.write(`POST /f/plain HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nContent-Length: 1000\r\n\r\na=`);
    const limit = Number(process.env.SLOW_SECONDS ?? 60);
    for (let i = 0; i < limit / 5 && closed === null; i++) {
      await sleep(5000);
      s.write("x");
    }
    console.log(`slow body: after ${((Date.now() - t0) / 1000).toFixed(0)} s closed=${closed} answer=${JSON.stringify(answer.slice(0, 80))}`);
    s.destroy();
  },

  async reflect() {
    const x = `"><script>alert(1)</script>`;
    const checks = [
      ["thanks back", `/thanks?back=${encodeURIComponent("https://a.example/" + x)}`, {}],
      ["thanks js back", `/thanks?back=${encodeURIComponent("javascript:alert(1)")}`, {}],
      ["thanks referer", `/thanks`, { referer: "https://a.example/" + x }],
    ];
    for (const [label, path, headers] of checks) {
      const r = await fetch(`${BASE}${path}`, { headers });
      const t = await r.text();
      console.log(label, r.status, t.includes("<script>alert") ? "REFLECTED RAW" : "escaped", t.includes("javascript:") ? "HAS javascript:" : "");
    }
    // Error pages of HTML posts.
    const r = await fetch(`${BASE}/f/plain`, { method: "POST", body: "a=1", headers: { "content-type": `text/x-${x}`, referer: "https://a.example/" + x }, redirect: "manual" });
    const t = await r.text();
    console.log("error page", r.status, t.includes("<script>alert") ? "REFLECTED RAW" : "escaped");
    // Location header with CRLF in referer (node refuses to send CRLF; use raw socket).
    const raw = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      let buf = "";
      s.on("data", (d) => (buf += d));
      s.on("close", () => resolve(buf));
      s.on("error", () => resolve(buf));
      s.write(`POST /f/plain HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nReferer: https://a.example/%0d%0aSet-Cookie:x=1\r\nContent-Length: 3\r\n\r\na=2`);
    });
    console.log("redirect head:", raw.split("\r\n\r\n")[0].split("\r\n").filter((l) => /location|set-cookie/i.test(l)));
    // CORS on errors: any origin echoed?
    const e = await fetch(`${BASE}/f/zzunknown`, { method: "POST", body: "a=1", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", origin: "https://evil.example" } });
    console.log("error ACAO for evil origin:", e.headers.get("access-control-allow-origin"));
    // Log volume: a long path segment in /files.
    const long = "a".repeat(15000);
    const lf = await fetch(`${BASE}/files/${long}/s/0?exp=1&sig=x`);
    console.log("long /files form id", lf.status);
  },

  async rateLimitedBodies() {
    // The per-client limit is enforced by the form's object, after the front read the body and
    // handed it over: what a refused (429) post still costs, by body size.
    await api("POST", "/api/forms", { id: "limited", rate_limit_per_minute: 1 });
    await post("limited", `a=${Date.now()}`, { "content-type": "application/x-www-form-urlencoded" });
    const big = Buffer.concat([Buffer.from("a="), Buffer.alloc(29 * 1024 * 1024, "x")]);
    await timed("429 with a 3-byte body", 10, async () => (await post("limited", "a=1", { "content-type": "application/x-www-form-urlencoded" })).status);
    await timed("429 with a 29 MB body", 10, async () => (await post("limited", big, { "content-type": "application/x-www-form-urlencoded" })).status);
    // The floor: a 29 MB post the front refuses from its Content-Length alone (the local proxy
    // still carries the whole body to workerd).
    await api("POST", "/api/forms", { id: "tiny", max_body_bytes: 100 });
    await timed("413 with a 29 MB body (floor)", 10, async () => (await post("tiny", big, { "content-type": "application/x-www-form-urlencoded" })).status);
  },

  async unknownFlood() {
    // Every unknown id costs the registry object one call: CPU per request against a known form.
    await timed("known form posts (rate 0)", 200, async () => (await post("plain", "a=1", { "content-type": "application/x-www-form-urlencoded" })).status);
    await timed("unknown id posts", 200, async () => (await post(`zz${randomBytes(6).toString("hex")}`, "a=1", { "content-type": "application/x-www-form-urlencoded" })).status);
    await timed("unknown id captcha GET", 200, async () => (await fetch(`${BASE}/f/zz${randomBytes(6).toString("hex")}/captcha`)).status);
    await timed("health GET", 200, async () => (await fetch(`${BASE}/health`)).status);
  },
};

await setup();
const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : Object.keys(probes)) {
  console.log(`\n== ${name}`);
  await probes[name]();
}
