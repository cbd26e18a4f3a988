// Benchmark, not a test: what the dedupe stores cost per delivery. Memory store: heap held by
// 100,000 handled ids (28-character ids) and µs per delivery under churn (new ids past `max`).
// Redis (a redis-server started here on a free port, if installed): deliveries per second on one
// node-redis connection, sequential and 50 at a time. Each figure twice: the deprecated one-step
// `seen` (what the first version did: one SET NX EX, no in-progress state) and `claim` +
// `complete` (two round trips). `node --expose-gc bench/dedupe.mjs [old-dedupe.js]` also measures
// another build of dedupe.js (e.g. an older commit's) for the memory figures. Asserts nothing.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const formhook = await import("../dist/node.mjs");
const ids = (n) => Array.from({ length: n }, () => `msg_${randomBytes(18).toString("base64url")}`); // 28 characters

function heapMb() {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1e6;
}

function memoryFigures(label, memoryStore, deliver) {
  const before = heapMb();
  let store = memoryStore({ max: 100_000 });
  // The ids are made here, so the figure counts their strings: the store is what keeps them.
  for (let i = 0; i < 100_000; i++) deliver(store, `msg_${randomBytes(18).toString("base64url")}`);
  const held = heapMb() - before;
  // Churn: the store is full, every delivery is a new id and evicts the oldest.
  const churn = ids(300_000);
  const start = performance.now();
  for (const id of churn) deliver(store, id);
  const perCall = ((performance.now() - start) * 1000) / churn.length;
  console.log(`${label.padEnd(44)} ${held.toFixed(1).padStart(6)} MB for 100k ids   ${perCall.toFixed(2)} µs/delivery under churn`);
  store = undefined;
}

const seen = (store, id) => store.seen(id, 3600);
const claimComplete = (store, id) => {
  if (store.claim(id, 60, "token") === "claimed") store.complete(id, 3600);
};

if (!globalThis.gc) console.log("(run with --expose-gc for steadier heap figures)");
console.log(`node ${process.version}; memory store`);
for (let round = 0; round < 3; round++) {
  memoryFigures("this build, seen (deprecated, one step)", formhook.memoryStore, seen);
  memoryFigures("this build, claim + complete", formhook.memoryStore, claimComplete);
  if (process.argv[2]) {
    const other = await import(pathToFileURL(process.argv[2]).href);
    memoryFigures(`${process.argv[2]}, seen`, other.memoryStore, seen);
  }
}

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function redisFigures() {
  const port = await freePort();
  let child;
  try {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "ignore"] });
    await new Promise((resolve, reject) => {
      child.once("error", reject);
      child.stdout.on("data", (chunk) => /Ready to accept/.test(chunk) && resolve());
    });
  } catch {
    console.log("redis-server not found: no Redis figures");
    return;
  }
  const { createClient } = require("redis");
  const client = await createClient({ url: `redis://127.0.0.1:${port}` }).connect();
  try {
    const store = formhook.redisStore(client, { prefix: "bench:" });
    const ways = {
      "seen (deprecated, one SET NX EX)": (id) => store.seen(id, 3600),
      "claim (script) + complete (SET EX)": async (id) => {
        if ((await store.claim(id, 60)) === "claimed") await store.complete(id, 3600);
      },
    };
    console.log(`redis-server on 127.0.0.1, one node-redis connection`);
    for (let round = 0; round < 3; round++) {
      for (const [label, deliver] of Object.entries(ways)) {
        const sequential = ids(5_000);
        let start = performance.now();
        for (const id of sequential) await deliver(id);
        const seqRate = sequential.length / ((performance.now() - start) / 1000);
        const parallel = ids(20_000);
        start = performance.now();
        for (let i = 0; i < parallel.length; i += 50) await Promise.all(parallel.slice(i, i + 50).map(deliver));
        const parRate = parallel.length / ((performance.now() - start) / 1000);
        console.log(`${label.padEnd(44)} ${Math.round(seqRate).toString().padStart(7)} deliveries/s sequential   ${Math.round(parRate).toString().padStart(7)}/s 50 at a time`);
      }
    }
  } finally {
    await client.quit();
    child.kill("SIGTERM");
  }
}

await redisFigures();
