// Ingest benchmark (not a test): POSTs submissions to a local worker (wrangler dev / workerd) at a
// fixed concurrency and measures ingest latency, throughput and submission → receiver latency.
//
//   node benches/ingest.mjs [--requests 3000] [--concurrency 16]
//
// Prints one table; README records the figures. Needs `scripts/build-worker` to have run.
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg("requests", 3000);
const CONCURRENCY = arg("concurrency", 16);
const WARMUP = Math.min(300, REQUESTS);

const arrivals = new Map();
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const at = performance.now();
    try {
      const seq = JSON.parse(Buffer.concat(chunks)).submission.data.seq;
      if (!arrivals.has(seq)) arrivals.set(seq, at);
    } catch {}
    res.end("ok");
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

// --url/--token: measure an already running worker instead of starting one.
const urlArg = process.argv.includes("--url") ? process.argv[process.argv.indexOf("--url") + 1] : undefined;
const dir = mkdtempSync(join(tmpdir(), "formhook-bench-"));
const token = urlArg ? process.argv[process.argv.indexOf("--token") + 1] : randomBytes(16).toString("hex");
const worker = urlArg
  ? { url: urlArg, stop: async () => {} }
  : await (await import("../scripts/serve.mjs")).startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true, logLevel: "warn" });
const FORM = `bench-${randomBytes(3).toString("hex")}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${worker.url}${path}`, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
const admin = (method, path, body) =>
  request(method, path, JSON.stringify(body), { authorization: `Bearer ${token}`, "content-type": "application/json" });

// No per-client limit and no per-form ceiling: the benchmark floods one form on purpose.
await admin("POST", "/api/forms", { id: FORM, rate_limit_per_minute: 0, max_submissions_per_minute: 0 });
await admin("POST", `/api/forms/${FORM}/endpoints`, { url: receiverUrl, retry_schedule: "quick" });

const sent = new Map();
let next = 0;
async function run(from, to, latencies) {
  next = from;
  let failures = 0;
  async function client() {
    while (next < to) {
      const seq = next++;
      const body = `name=Ada+Lovelace&email=ada%40example.com&message=${"x".repeat(200)}&seq=${seq}`;
      const start = performance.now();
      sent.set(String(seq), start);
      const res = await request("POST", `/f/${FORM}`, body, {
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      });
      latencies?.push(performance.now() - start);
      if (res.status !== 201) failures++;
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  return failures;
}

await run(0, WARMUP);
const latencies = [];
const t0 = performance.now();
const failures = await run(WARMUP, WARMUP + REQUESTS, latencies);
const seconds = (performance.now() - t0) / 1000;

// Wait for the deliveries to land (bounded).
const deadline = Date.now() + 120_000;
while (arrivals.size < WARMUP + REQUESTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const deliveryLatencies = (from, to) => {
  const out = [];
  for (let seq = from; seq < to; seq++) {
    const start = sent.get(String(seq));
    if (arrivals.has(String(seq))) out.push(arrivals.get(String(seq)) - start);
  }
  return out;
};
const loaded = deliveryLatencies(WARMUP, WARMUP + REQUESTS);

// Phase 2: one submission at a time (a form's normal life): submission → receiver latency.
const SINGLE = 200;
const singleFrom = WARMUP + REQUESTS;
const singleIngest = [];
for (let seq = singleFrom; seq < singleFrom + SINGLE; seq++) {
  next = seq;
  const start = performance.now();
  sent.set(String(seq), start);
  await request("POST", `/f/${FORM}`, `name=Ada&seq=${seq}`, {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  });
  singleIngest.push(performance.now() - start);
  const until = Date.now() + 5000;
  while (!arrivals.has(String(seq)) && Date.now() < until) await new Promise((r) => setTimeout(r, 1));
}
const single = deliveryLatencies(singleFrom, singleFrom + SINGLE);

const f = (ms) => `${ms.toFixed(1)} ms`;
console.log(`formhook ingest benchmark: wrangler dev (workerd) on 127.0.0.1, one endpoint receiving on 127.0.0.1`);
console.log(`| metric | value |\n|---|---|`);
console.log(`| ${REQUESTS} urlencoded submissions, ${CONCURRENCY} concurrent clients: throughput | ${(REQUESTS / seconds).toFixed(0)} submissions/s |`);
console.log(`| — ingest p50 / p90 / p99 | ${f(pct(latencies, 50))} / ${f(pct(latencies, 90))} / ${f(pct(latencies, 99))} |`);
console.log(`| — submission → receiver p50 / p99 (deliveries queue behind ingest) | ${f(pct(loaded, 50))} / ${f(pct(loaded, 99))} |`);
console.log(`| — non-201 answers; delivered | ${failures}; ${loaded.length} of ${REQUESTS} |`);
console.log(`| ${SINGLE} submissions one at a time: ingest p50 / p99 | ${f(pct(singleIngest, 50))} / ${f(pct(singleIngest, 99))} |`);
console.log(`| — submission → receiver p50 / p99 | ${f(pct(single, 50))} / ${f(pct(single, 99))} |`);

agent.destroy();
await worker.stop();
receiver.close();
rmSync(dir, { recursive: true, force: true });
