// Benchmark, not a test: ns per verify of a Standard Webhooks message at 1 KB and 64 KB for
// formhook (wasm), hand-written node:crypto, standardwebhooks and svix, in one process; plus the
// .wasm size and its load + instantiate time. Prints figures; asserts nothing about speed.
import { execFileSync } from "node:child_process";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { performance } from "node:perf_hooks";

const require = createRequire(import.meta.url);
const formhook = await import("../dist/node.mjs");
// FORMHOOK_BENCH_BASELINE=/path/to/another/dist adds that build's rows (e.g. before a change), so
// both builds are measured in the same run.
const baselineDir = process.env.FORMHOOK_BENCH_BASELINE;
const baseline = baselineDir ? await import(`${baselineDir.replace(/\/$/, "")}/node.mjs`) : undefined;
const { Webhook: StandardWebhook } = require("standardwebhooks");
const { Webhook: SvixWebhook } = require("svix");

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const key = Buffer.from(secret.slice(6), "base64");
const msgId = "msg_p5jXN8AQM9LWM0D4loKWxJek";

function jsonPayload(size) {
  const filler = randomBytes(size).toString("base64").slice(0, size - 20);
  return JSON.stringify({ data: filler }).padEnd(size, " ");
}

// The receiver code people write by hand with node:crypto, done right (constant-time compare,
// timestamp check, raw body as a Buffer).
function nodeCryptoVerify(body, headers) {
  const ts = Number(headers["webhook-timestamp"]);
  if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > 300) throw new Error("timestamp");
  const mac = createHmac("sha256", key)
    .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.`)
    .update(body)
    .digest();
  for (const entry of headers["webhook-signature"].split(" ")) {
    const [version, sig] = entry.split(",");
    if (version !== "v1") continue;
    const given = Buffer.from(sig, "base64");
    if (given.length === mac.length && timingSafeEqual(given, mac)) return JSON.parse(body);
  }
  throw new Error("no match");
}

function measure(name, fn, minMs = 1500) {
  for (let i = 0; i < 2000; i++) fn(); // warm up: let V8 tier up JS and wasm
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 200; i++) fn();
    iterations += 200;
    elapsed = performance.now() - start;
  }
  return { name, nsPerOp: (elapsed * 1e6) / iterations };
}

const results = [];
for (const size of [1024, 64 * 1024]) {
  const body = jsonPayload(size);
  const bodyBuffer = Buffer.from(body);
  const ts = Math.floor(Date.now() / 1000);
  const signature = new StandardWebhook(secret).sign(msgId, new Date(ts * 1000), body);
  const headers = { "webhook-id": msgId, "webhook-timestamp": String(ts), "webhook-signature": signature };
  const svixHeaders = { "svix-id": msgId, "svix-timestamp": String(ts), "svix-signature": signature };

  const ours = new formhook.Webhook(secret);
  const theirs = new StandardWebhook(secret);
  const svix = new SvixWebhook(secret);
  // Every contender must accept the message before it is timed.
  ours.verify(bodyBuffer, headers);
  nodeCryptoVerify(bodyBuffer, headers);
  theirs.verify(body, headers);
  svix.verify(body, svixHeaders);

  const before = baseline && new baseline.Webhook(secret);
  before?.verify(bodyBuffer, headers);

  const row = [
    measure("formhook (wasm), Buffer body", () => ours.verify(bodyBuffer, headers)),
    measure("formhook (wasm), string body", () => ours.verify(body, headers)),
    ...(before ? [measure("baseline build, Buffer body", () => before.verify(bodyBuffer, headers))] : []),
    measure("node:crypto by hand, Buffer body", () => nodeCryptoVerify(bodyBuffer, headers)),
    measure("standardwebhooks", () => theirs.verify(body, headers)),
    measure("svix", () => svix.verify(body, svixHeaders)),
  ];
  results.push({ size, row });
}

const wasmPath = new URL("../dist/formhook_wasm_bg.wasm", import.meta.url);
const wasmBytes = readFileSync(wasmPath);
// Load + instantiate, measured in fresh processes: importing the package reads, compiles and
// instantiates the wasm synchronously.
const loadScript = `const t = performance.now(); require(${JSON.stringify(new URL("../dist/node.cjs", import.meta.url).pathname)}); console.log(performance.now() - t);`;
const loads = Array.from({ length: 7 }, () => Number(execFileSync(process.execPath, ["-e", loadScript]).toString()));
const loadMs = loads.sort((a, b) => a - b)[3];

console.log(`node ${process.version}, ${process.arch}`);
for (const { size, row } of results) {
  console.log(`\nverify, ${size / 1024} KB JSON payload`);
  const node = row.find((r) => r.name.startsWith("node:crypto")).nsPerOp;
  const svix = row.find((r) => r.name === "svix").nsPerOp;
  for (const { name, nsPerOp } of row) {
    console.log(
      `  ${name.padEnd(36)} ${Math.round(nsPerOp).toLocaleString("en-US").padStart(10)} ns/op` +
        `   ${(nsPerOp / node).toFixed(2)}x node:crypto   ${(svix / nsPerOp).toFixed(2)}x faster than svix`,
    );
  }
}
console.log(`\nwasm: ${wasmBytes.length} bytes raw, ${gzipSync(wasmBytes, { level: 9 }).length} bytes gzipped`);
console.log(`require("formhook") incl. wasm compile + instantiate: ${loadMs.toFixed(2)} ms (median of 7 fresh processes)`);
