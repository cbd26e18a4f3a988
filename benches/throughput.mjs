// Cost and throughput benchmark (not a test): runs a local worker (wrangler dev / workerd) and
// measures, in one run:
//   1. the work per submission delivered to 0, 1 and 3 endpoints: object requests, SQL rows read
//      and written (the objects' own counters, `GET /api/forms/{id}/work`), alarms set, and
//      workerd's CPU time (from /proc), turned into a cost per million submissions at
//      Cloudflare's published prices (README, "Cost per submission");
//   2. ingest throughput at 16 clients to a form without endpoints and to one with an endpoint;
//   3. a flood (default 30 s at 16 clients): submission → receiver latency, and how long after
//      the flood the backlog drains;
//   4. deliveries per second to one endpoint whose receiver answers in 50 ms.
//
//   node benches/throughput.mjs [--root DIR] [--label NAME] [--requests 3000] [--concurrency 16]
//        [--flood-seconds 30] [--count 300] [--slow-ms 50] [--slow 1000] [--slow-fields JSON] [--flood-fields JSON]
//        [--only work,ingest,flood,slow] [--json FILE]
//
// `--root` runs the worker built in another checkout (the README's before/after figures run
// main's build and this one back to back). Needs `scripts/build-worker` to have run there.
import http from "node:http";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";

const argValue = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const num = (name, fallback) => (argValue(name) === undefined ? fallback : Number(argValue(name)));
const ROOT = resolve(argValue("root") ?? new URL("..", import.meta.url).pathname);
const LABEL = argValue("label") ?? ROOT;
const REQUESTS = num("requests", 3000);
const CONCURRENCY = num("concurrency", 16);
const FLOOD_SECONDS = num("flood-seconds", 30);
const COUNT = num("count", 300);
const SLOW_MS = num("slow-ms", 50);
const SLOW = num("slow", 1000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Prices (USD, Workers Paid, beyond the included amounts; README cites the pages and dates).
const PRICE = {
  workerRequest: 0.3 / 1e6,
  workerCpuMs: 0.02 / 1e6,
  objectRequest: 0.15 / 1e6,
  rowRead: 0.001 / 1e6,
  rowWritten: 1.0 / 1e6,
  gbSecond: 12.5 / 1e6,
};

// One receiver for every endpoint: `/hook/{tag}` answers at once, `/slow/{tag}` after SLOW_MS.
// Arrivals are recorded per tag (first arrival of each `seq`).
const arrivals = new Map();
const arrivalsOf = (tag) => {
  if (!arrivals.has(tag)) arrivals.set(tag, new Map());
  return arrivals.get(tag);
};
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const at = performance.now();
    const [, kind, tag] = req.url.split("/");
    try {
      const seq = JSON.parse(Buffer.concat(chunks)).submission.data.seq;
      const seen = arrivalsOf(tag);
      if (!seen.has(seq)) seen.set(seq, at);
    } catch {}
    if (kind === "slow") setTimeout(() => res.end("ok"), SLOW_MS);
    else res.end("ok");
  });
});
receiver.keepAliveTimeout = 60_000;
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
const receiverBase = `http://127.0.0.1:${receiver.address().port}`;

const dir = mkdtempSync(join(tmpdir(), "formhook-bench-"));
const token = randomBytes(16).toString("hex");
const { startWorker } = await import(pathToFileURL(join(ROOT, "scripts", "serve.mjs")).href);
const worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true, logLevel: "warn" });
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(method, path, body, headers = {}) {
  return new Promise((resolvePromise, reject) => {
    const req = http.request(`${worker.url}${path}`, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolvePromise({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
const admin = async (method, path, body) => {
  const res = await request(method, path, body === undefined ? undefined : JSON.stringify(body), {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
  });
  return { status: res.status, json: res.body ? JSON.parse(res.body) : undefined };
};

/** workerd's CPU time so far (user + system), ms: every process under wrangler named workerd. */
function workerdCpuMs() {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      const ppid = Number(fields[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push({ pid: Number(entry), name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {}
  }
  let ticks = 0;
  const walk = (pid) => {
    for (const child of children.get(pid) ?? []) {
      if (child.name.startsWith("workerd")) ticks += child.ticks;
      walk(child.pid);
    }
  };
  walk(worker.pid);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

let formCount = 0;
/** A form (no per-client limit, no ceiling: the benchmark floods on purpose) with endpoints. */
async function makeForm(endpointPaths, endpointFields = {}) {
  const id = `bench-${randomBytes(3).toString("hex")}-${formCount++}`;
  const created = await admin("POST", "/api/forms", { id, rate_limit_per_minute: 0, max_submissions_per_minute: 0 });
  if (created.status !== 201) throw new Error(`create form: ${created.status} ${JSON.stringify(created.json)}`);
  const endpoints = [];
  for (const path of endpointPaths) {
    const res = await admin("POST", `/api/forms/${id}/endpoints`, { url: `${receiverBase}${path}`, retry_schedule: "quick" });
    if (res.status !== 201) throw new Error(`create endpoint: ${res.status} ${JSON.stringify(res.json)}`);
    if (Object.keys(endpointFields).length) {
      // Settings an older build does not know are refused (422): it runs with its defaults.
      const patched = await admin("PATCH", `/api/forms/${id}/endpoints/${res.json.id}`, endpointFields);
      if (patched.status !== 200) console.error(`(${LABEL}: endpoint settings ${JSON.stringify(endpointFields)} not taken: ${patched.status})`);
    }
    endpoints.push(res.json.id);
  }
  return { id, endpoints };
}

const sentAt = new Map();
/** POSTs submissions `from..to` with `clients` concurrent clients; returns [failures, latencies]. */
async function post(formId, tag, from, to, clients = CONCURRENCY, until = Infinity) {
  let next = from;
  let failures = 0;
  const latencies = [];
  async function client() {
    while (next < to && performance.now() < until) {
      const seq = next++;
      const body = `name=Ada+Lovelace&email=ada%40example.com&message=${"x".repeat(200)}&seq=${seq}`;
      const start = performance.now();
      sentAt.set(`${tag}:${seq}`, start);
      const res = await request("POST", `/f/${formId}`, body, {
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      });
      latencies.push(performance.now() - start);
      if (res.status !== 201) failures++;
    }
  }
  await Promise.all(Array.from({ length: clients }, client));
  return { failures, latencies, sent: next - from };
}

/** Waits until every tag has `count` arrivals (bounded); returns whether they all did. */
async function waitArrivals(tags, count, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (tags.every((t) => arrivalsOf(t).size >= count)) return true;
    await sleep(20);
  }
  return false;
}

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

// 1. Work per submission, to 0, 1 and 3 endpoints (4 clients: a steady load, not a flood).
async function countWork(endpointCount) {
  const tags = Array.from({ length: endpointCount }, () => randomBytes(4).toString("hex"));
  const form = await makeForm(tags.map((t) => `/hook/${t}`));
  // Warm the objects up (first-request DDL and settings reads are not per-submission work).
  await post(form.id, tags[0] ?? "none", -20, 0, 4);
  await waitArrivals(tags, 20);
  await sleep(500);
  const before = (await admin("GET", `/api/forms/${form.id}/work`)).json;
  const cpuBefore = workerdCpuMs();
  await post(form.id, tags[0] ?? "none", 0, COUNT, 4);
  const delivered = await waitArrivals(tags, COUNT + 20);
  // Let the last alarm runs finish (their writes are part of the work).
  await sleep(1500);
  const cpu = workerdCpuMs() - cpuBefore;
  const after = (await admin("GET", `/api/forms/${form.id}/work`)).json;
  const per = (key) => (after.total[key] - before.total[key]) / COUNT;
  const work = {
    endpoints: endpointCount,
    delivered,
    object_requests: per("requests"),
    rows_read: per("rows_read"),
    rows_written: per("rows_written"),
    alarms_set: per("alarms_set"),
    attempts: per("deliveries_sent"),
    // The benchmark's own two reads of the counters are not counted by the objects.
    cpu_ms: cpu / COUNT,
  };
  // At marginal prices: 1 Worker request; object requests; rows (each alarm set bills as a row
  // written); CPU billed once as Worker CPU and once as object duration at 128 MB (an upper bound
  // of both: workerd's CPU covers the front worker and the objects together).
  const cost =
    PRICE.workerRequest +
    work.object_requests * PRICE.objectRequest +
    work.rows_read * PRICE.rowRead +
    (work.rows_written + work.alarms_set) * PRICE.rowWritten +
    work.cpu_ms * PRICE.workerCpuMs +
    (work.cpu_ms / 1000) * 0.125 * PRICE.gbSecond;
  work.usd_per_million = cost * 1e6;
  return work;
}

// 2. Ingest throughput at CONCURRENCY clients.
async function throughput(endpointPaths, tag) {
  const form = await makeForm(endpointPaths);
  const warm = Math.min(300, REQUESTS);
  await post(form.id, tag, -warm, 0);
  const t0 = performance.now();
  const { failures } = await post(form.id, tag, 0, REQUESTS);
  const seconds = (performance.now() - t0) / 1000;
  if (endpointPaths.length) await waitArrivals([tag], REQUESTS + warm);
  return { rate: REQUESTS / seconds, failures };
}

// 3. A flood to one endpoint: latency to the receiver, and the drain after it.
async function flood() {
  const tag = randomBytes(4).toString("hex");
  const form = await makeForm([`/hook/${tag}`], JSON.parse(argValue("flood-fields") ?? "{}"));
  await post(form.id, tag, -200, 0);
  await waitArrivals([tag], 200);
  const start = performance.now();
  const { sent, failures } = await post(form.id, tag, 0, 1e9, CONCURRENCY, start + FLOOD_SECONDS * 1000);
  const end = performance.now();
  const all = await waitArrivals([tag], sent + 200, 180_000);
  const seen = arrivalsOf(tag);
  const latencies = [];
  let last = 0;
  for (let seq = 0; seq < sent; seq++) {
    const at = seen.get(String(seq));
    if (at === undefined) continue;
    latencies.push(at - sentAt.get(`${tag}:${seq}`));
    last = Math.max(last, at);
  }
  return {
    sent,
    failures,
    rate: sent / ((end - start) / 1000),
    delivered: latencies.length,
    all,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    drain_ms: Math.max(0, last - end),
  };
}

// 4. One endpoint whose receiver takes SLOW_MS per answer.
async function slowReceiver() {
  const tag = randomBytes(4).toString("hex");
  // A 50 ms receiver needs more than 5 in flight for 100/s; builds without the setting refuse
  // it and run with their own limit.
  const fields = JSON.parse(argValue("slow-fields") ?? '{"max_in_flight":12}');
  const form = await makeForm([`/slow/${tag}`], fields);
  await post(form.id, tag, 0, SLOW);
  await waitArrivals([tag], SLOW, 180_000);
  const times = [...arrivalsOf(tag).values()].sort((a, b) => a - b);
  // The steady rate: from the 10th to the last arrival (the first ones include the ramp-up).
  const from = Math.min(10, times.length - 1);
  return { delivered: times.length, rate: (times.length - 1 - from) / ((times.at(-1) - times[from]) / 1000) };
}

// `--only` runs some sections (the others print as not measured).
const ONLY = new Set((argValue("only") ?? "work,ingest,flood,slow").split(","));
const NOT_RUN = { rate: NaN, p50: NaN, p99: NaN, drain_ms: NaN, sent: 0, failures: 0, delivered: 0 };
const results = { label: LABEL, work: [], bare: NOT_RUN, one: NOT_RUN, flood: NOT_RUN, slow: NOT_RUN };
if (ONLY.has("work")) for (const n of [0, 1, 3]) results.work.push(await countWork(n));
if (ONLY.has("ingest")) {
  results.bare = await throughput([], "bare");
  const oneTag = randomBytes(4).toString("hex");
  results.one = await throughput([`/hook/${oneTag}`], oneTag);
}
if (ONLY.has("flood")) results.flood = await flood();
if (ONLY.has("slow")) results.slow = await slowReceiver();

const f = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
console.log(`\nformhook cost/throughput benchmark — ${LABEL}`);
console.log(`| endpoints | object requests | rows read | rows written | alarms set | attempts | workerd CPU ms | USD per million submissions |`);
console.log(`|---:|---:|---:|---:|---:|---:|---:|---:|`);
for (const w of results.work) {
  console.log(`| ${w.endpoints} | ${f(w.object_requests, 2)} | ${f(w.rows_read, 1)} | ${f(w.rows_written, 2)} | ${f(w.alarms_set, 3)} | ${f(w.attempts, 2)} | ${f(w.cpu_ms, 2)} | ${f(w.usd_per_million, 2)} |`);
}
console.log(`| metric | value |\n|---|---|`);
console.log(`| ${CONCURRENCY} clients, form without endpoints | ${f(results.bare.rate, 0)} submissions/s |`);
console.log(`| ${CONCURRENCY} clients, form with one endpoint | ${f(results.one.rate, 0)} submissions/s (${f(results.one.rate / results.bare.rate, 2)}×) |`);
console.log(`| ${FLOOD_SECONDS} s flood, ${CONCURRENCY} clients: ingest | ${f(results.flood.rate, 0)} submissions/s, ${results.flood.sent} sent, ${results.flood.failures} refused |`);
console.log(`| — submission → receiver p50 / p99 | ${f(results.flood.p50 / 1000, 2)} s / ${f(results.flood.p99 / 1000, 2)} s |`);
console.log(`| — backlog drained after the flood | ${f(results.flood.drain_ms / 1000, 2)} s (${results.flood.delivered} of ${results.flood.sent} delivered) |`);
console.log(`| receiver answering in ${SLOW_MS} ms | ${f(results.slow.rate, 0)} deliveries/s (${results.slow.delivered} of ${SLOW}) |`);
if (argValue("json")) writeFileSync(argValue("json"), JSON.stringify(results, null, 2));

agent.destroy();
await worker.stop();
receiver.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
