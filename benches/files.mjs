// File upload benchmark (not a test): in one run of the local worker (wrangler dev / workerd),
// times small urlencoded posts and 10 MiB multipart uploads (bytes to R2 before the answer), and
// reads workerd's resident memory (VmRSS) and its peak (VmHWM) after each phase.
//
//   node benches/files.mjs [--small 200] [--uploads 10] [--mib 10]
//
// Prints one table. Needs `scripts/build-worker` to have run.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startWorker } from "../scripts/serve.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SMALL = arg("small", 200);
const UPLOADS = arg("uploads", 10);
const MIB = arg("mib", 10);

/** workerd processes in the worker's process group, with their VmRSS and VmHWM in MiB. */
function workerdMemory(pgid) {
  const out = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      if (!/^Name:\s*workerd/m.test(status)) continue;
      const kb = (key) => Number(status.match(new RegExp(`^${key}:\\s*(\\d+)`, "m"))?.[1] ?? 0);
      out.push({ pid: Number(pid), rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 });
    } catch {}
  }
  return out;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const dir = mkdtempSync(join(tmpdir(), "formhook-bench-files-"));
const token = randomBytes(16).toString("hex");
const worker = await startWorker({ persistDir: dir, adminToken: token, quiet: true });
try {
  const api = (method, path, body) =>
    fetch(`${worker.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  if ((await api("POST", "/api/forms", { id: "bench", rate_limit_per_minute: 0, max_submissions_per_minute: 0 })).status !== 201) throw new Error("form");

  const rows = [];
  const phase = async (label, n, send) => {
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const res = await send(i);
      if (res.status !== 201) throw new Error(`${label}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const mem = workerdMemory(worker.pid);
    rows.push({
      phase: label,
      requests: n,
      "p50 ms": percentile(times, 50).toFixed(1),
      "p95 ms": percentile(times, 95).toFixed(1),
      "workerd RSS MiB": mem.map((m) => m.rss.toFixed(0)).join("+"),
      "workerd peak MiB": mem.map((m) => m.hwm.toFixed(0)).join("+"),
    });
  };
  rows.push({ phase: "idle after start", requests: 0, "workerd RSS MiB": workerdMemory(worker.pid).map((m) => m.rss.toFixed(0)).join("+"), "workerd peak MiB": workerdMemory(worker.pid).map((m) => m.hwm.toFixed(0)).join("+") });
  const post = (body, headers) => fetch(`${worker.url}/f/bench`, { method: "POST", body, headers: { accept: "application/json", ...headers } });
  await phase("small urlencoded post", SMALL, (i) => post(`name=Ada&email=ada%40example.com&seq=${i}`, { "content-type": "application/x-www-form-urlencoded" }));
  const file = randomBytes(MIB * 1024 * 1024);
  await phase(`${MIB} MiB multipart upload`, UPLOADS, (i) => {
    const fd = new FormData();
    fd.append("seq", String(i));
    fd.append("cv", new Blob([file], { type: "application/octet-stream" }), "data.bin");
    return post(fd, {});
  });
  await phase("small urlencoded post, after uploads", SMALL, (i) => post(`name=Ada&seq=${i}`, { "content-type": "application/x-www-form-urlencoded" }));
  console.table(rows);
} finally {
  await worker.stop();
  rmSync(dir, { recursive: true, force: true });
}
