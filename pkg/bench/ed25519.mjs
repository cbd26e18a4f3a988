// Benchmark, not a test: ns per Standard Webhooks v1a (ed25519) verify at 1 KB and 64 KB, formhook
// (the ed25519 wasm) against receiver code written by hand with node:crypto's Ed25519 (OpenSSL),
// in one process; plus signing, and the size of both .wasm files. Prints figures; asserts nothing
// about speed. Run: `npm run bench:v1a`.
import { createPrivateKey, createPublicKey, randomBytes, sign as cryptoSign, verify as cryptoVerify } from "node:crypto";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { performance } from "node:perf_hooks";

const formhook = await import("../dist/node.mjs");
const { secretKey, publicKey } = formhook.generateKeyPair();
const seed = Buffer.from(secretKey.slice(5), "base64").subarray(0, 32);
const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
const nodePublicKey = createPublicKey(privateKey);
const msgId = "msg_p5jXN8AQM9LWM0D4loKWxJek";

function jsonPayload(size) {
  const filler = randomBytes(size).toString("base64").slice(0, size - 20);
  return JSON.stringify({ data: filler }).padEnd(size, " ");
}

// The receiver code people write by hand with node:crypto, done right: timestamp check, strict
// signature length, the raw body as bytes, the public key imported once.
function nodeCryptoVerify(body, headers) {
  const ts = Number(headers["webhook-timestamp"]);
  if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > 300) throw new Error("timestamp");
  const signed = Buffer.concat([Buffer.from(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.`), body]);
  for (const entry of headers["webhook-signature"].split(" ")) {
    const [version, sig] = entry.split(",");
    if (version !== "v1a") continue;
    const given = Buffer.from(sig, "base64");
    if (given.length === 64 && cryptoVerify(null, signed, nodePublicKey, given)) return JSON.parse(body);
  }
  throw new Error("no match");
}

function measure(name, fn, minMs = 1500) {
  for (let i = 0; i < 200; i++) fn(); // warm up: let V8 tier up JS and wasm
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 20; i++) fn();
    iterations += 20;
    elapsed = performance.now() - start;
  }
  return { name, nsPerOp: (elapsed * 1e6) / iterations };
}

const results = [];
for (const size of [1024, 64 * 1024]) {
  const body = Buffer.from(jsonPayload(size));
  const ts = Math.floor(Date.now() / 1000);
  const ours = new formhook.Webhook(publicKey);
  const signer = new formhook.Webhook(secretKey);
  const headers = { "webhook-id": msgId, "webhook-timestamp": String(ts), "webhook-signature": signer.sign(msgId, ts, body) };
  const signedContent = Buffer.concat([Buffer.from(`${msgId}.${ts}.`), body]);
  const signature = Buffer.from(headers["webhook-signature"].slice(4), "base64");
  // Both must accept the message before it is timed.
  ours.verify(body, headers);
  nodeCryptoVerify(body, headers);

  results.push({
    size,
    verify: [
      measure("formhook v1a verify (wasm), Buffer body", () => ours.verify(body, headers)),
      measure("node:crypto Ed25519 verify by hand", () => nodeCryptoVerify(body, headers)),
      measure("node:crypto crypto.verify call alone", () => cryptoVerify(null, signedContent, nodePublicKey, signature)),
    ],
    sign: [
      measure("formhook v1a sign (wasm)", () => signer.sign(msgId, ts, body)),
      measure("node:crypto Ed25519 sign", () => cryptoSign(null, signedContent, privateKey)),
    ],
  });
}

console.log(`node ${process.version}, ${process.arch}`);
for (const { size, verify, sign } of results) {
  for (const [what, rows] of [["verify (incl. JSON.parse)", verify], ["sign", sign]]) {
    console.log(`\n${what}, ${size / 1024} KB JSON payload`);
    const node = rows[1].nsPerOp;
    for (const { name, nsPerOp } of rows) {
      console.log(`  ${name.padEnd(42)} ${Math.round(nsPerOp).toLocaleString("en-US").padStart(10)} ns/op   ${(nsPerOp / node).toFixed(2)}x node:crypto`);
    }
  }
}
for (const file of ["formhook_wasm_bg.wasm", "formhook_ed25519_bg.wasm"]) {
  const bytes = readFileSync(new URL(`../dist/${file}`, import.meta.url));
  console.log(`${file}: ${bytes.length} bytes raw, ${gzipSync(bytes, { level: 9 }).length} bytes gzipped`);
}
