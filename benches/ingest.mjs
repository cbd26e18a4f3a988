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
import { startWorker } from "../scripts/serve.mjs";

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

const dir = mkdtempSync(join(tmpdir(), "formhook-bench-"));
const token = randomBytes(16).toString("hex");
const worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
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

await admin("POST", "/api/forms", { id: "bench", rate_limit_per_minute: 0 });
await admin("POST", "/api/forms/bench/endpoints", { url: receiverUrl, retry_schedule: "quick" });

const sent = new Map();
async function run(from, to, latencies) {
  let next = from;
  let failures = 0;
  async function client() {
    while (next < to) {
      const seq = next++;
      const body = `name=Ada+Lovelace&email=ada%40example.com&message=${"x".repeat(200)}&seq=${seq}`;
      const start = performance.now();
      sent.set(String(seq), start);
      const res = await request("POST", "/f/bench", body, {
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
const deadline = Date.now() + 60_000;
while (arrivals.size < WARMUP + REQUESTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const delivery = [];
for (const [seq, start] of sent) {
  if (Number(seq) >= WARMUP && arrivals.has(seq)) delivery.push(arrivals.get(seq) - start);
}
const f = (ms) => `${ms.toFixed(1)} ms`;
console.log(`formhook ingest benchmark: ${REQUESTS} urlencoded submissions, ${CONCURRENCY} concurrent clients, wrangler dev (workerd) on 127.0.0.1`);
console.log(`| metric | value |\n|---|---|`);
console.log(`| throughput | ${(REQUESTS / seconds).toFixed(0)} submissions/s |`);
console.log(`| ingest p50 / p90 / p99 | ${f(pct(latencies, 50))} / ${f(pct(latencies, 90))} / ${f(pct(latencies, 99))} |`);
console.log(`| submission → receiver p50 / p99 | ${f(pct(delivery, 50))} / ${f(pct(delivery, 99))} |`);
console.log(`| non-201 answers | ${failures} |`);
console.log(`| delivered | ${delivery.length} of ${REQUESTS} |`);

agent.destroy();
await worker.stop();
receiver.close();
rmSync(dir, { recursive: true, force: true });
