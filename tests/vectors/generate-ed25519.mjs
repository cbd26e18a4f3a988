#!/usr/bin/env node
// Writes ed25519.json: Standard Webhooks `v1a` vectors computed with node:crypto's Ed25519
// (OpenSSL), an implementation independent of the Rust core's ed25519-dalek. Keys come from fixed
// seeds so the file is reproducible: `node tests/vectors/generate-ed25519.mjs`.
import { createHash, createHmac, createPrivateKey, createPublicKey, sign } from "node:crypto";
import { writeFileSync } from "node:fs";

const seedOf = (label) => createHash("sha256").update(`formhook v1a vector ${label}`).digest();
function keyPair(label) {
  const seed = seedOf(label);
  // PKCS#8 for an Ed25519 private key: a fixed 16-byte prefix, then the 32-byte seed (RFC 8410).
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  const publicRaw = Buffer.from(createPublicKey(privateKey).export({ format: "jwk" }).x, "base64url");
  return {
    privateKey,
    publicRaw,
    whpk: `whpk_${publicRaw.toString("base64")}`,
    whsk32: `whsk_${seed.toString("base64")}`,
    whsk64: `whsk_${Buffer.concat([seed, publicRaw]).toString("base64")}`,
  };
}

const A = keyPair("key A");
const B = keyPair("key B");
const WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
const ts = 1700000000;
const payload = '{"type":"form.submission.created","data":{"email":"ada@example.com","name":"Ada Lovelace"}}';

const signed = (msgId, timestamp, body) => Buffer.from(`${msgId}.${timestamp}.${body}`);
const v1a = (pair, msgId = id, timestamp = ts, body = payload) =>
  `v1a,${sign(null, signed(msgId, timestamp, body), pair.privateKey).toString("base64")}`;
const v1 = (secret, msgId = id, timestamp = ts, body = payload) =>
  `v1,${createHmac("sha256", Buffer.from(secret.slice(6), "base64")).update(signed(msgId, timestamp, body)).digest("base64")}`;
const headers = (signature, timestamp = ts) => ({ "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature });

const tests = [];
function add(comment, secrets, signature, result, extra = {}) {
  const { error, now = ts, signs = false, body = payload, timestamp = ts } = extra;
  const c = { tcId: tests.length + 1, comment, scheme: "standard-webhooks", secrets, headers: headers(signature, timestamp), payload: body, now, result };
  if (error) c.error = error;
  if (signs) c.sign = { msgId: id, timestamp };
  tests.push(c);
}

const otherSig = v1a(B);
add("whpk_ public key verifies a v1a signature", [A.whpk], v1a(A), "valid");
add("whsk_ of 64 bytes (seed, public key) verifies, and signing reproduces the header", [A.whsk64], v1a(A), "valid", { signs: true });
add("whsk_ of 32 bytes (the seed) verifies, and signing reproduces the header", [A.whsk32], v1a(A), "valid", { signs: true });
add("tampered payload", [A.whpk], v1a(A), "invalid", { error: "no_matching_signature", body: payload.replace("Ada", "Eve") });
add("signature over another timestamp", [A.whpk], v1a(A, id, ts + 1), "invalid", { error: "no_matching_signature" });
add("signature over another message id", [A.whpk], v1a(A, "msg_other"), "invalid", { error: "no_matching_signature" });
add("wrong public key", [B.whpk], v1a(A), "invalid", { error: "no_matching_signature" });
add("one signature byte flipped", [A.whpk], (() => { const s = Buffer.from(v1a(A).slice(4), "base64"); s[10] ^= 1; return `v1a,${s.toString("base64")}`; })(), "invalid", { error: "no_matching_signature" });
add("rotation: two v1a entries, the second matches", [A.whpk], `${otherSig} ${v1a(A)}`, "valid");
add("rotation: two public keys, the second matches", [B.whpk, A.whpk], v1a(A), "valid");
add("mixed header, public key only: the v1a entry matches", [A.whpk], `${v1(WHSEC)} ${v1a(A)}`, "valid");
add("mixed header, HMAC secret only: the v1 entry matches", [WHSEC], `${v1a(A)} ${v1(WHSEC)}`, "valid");
add("mixed keys and header, both match", [WHSEC, A.whpk], `${v1(WHSEC)} ${v1a(A)}`, "valid");
add("mixed keys, only the v1a entry is present", [WHSEC, A.whpk], v1a(A), "valid");
add("mixed keys, only the v1 entry is present", [A.whpk, WHSEC], v1(WHSEC), "valid");
add("mixed header, neither entry matches its kind of key", [WHSEC, B.whpk], `${v1("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")} ${v1a(A)}`, "invalid", { error: "no_matching_signature" });
add("a v1 HMAC tag never matches a public key", [A.whpk], v1(WHSEC), "invalid", { error: "no_matching_signature" });
add("signing with a secret and a signing key writes v1 then v1a", [WHSEC, A.whsk64], `${v1(WHSEC)} ${v1a(A)}`, "valid", { signs: true });
add("v1a signature of 32 bytes is malformed", [A.whpk], `v1a,${Buffer.alloc(32, 7).toString("base64")}`, "invalid", { error: "malformed_signature" });
add("v1a signature without padding is malformed", [A.whpk], v1a(A).replace(/=+$/, ""), "invalid", { error: "malformed_signature" });
add("v1a signature, timestamp 301 s old", [A.whpk], v1a(A), "invalid", { error: "timestamp_too_old", now: ts + 301 });
add("a malformed v1a entry beside a valid one", [A.whpk], `v1a,!!!! ${v1a(A)}`, "valid");
const badKey = (comment, key, error) => add(comment, [key], v1a(A), "invalid", { error });
badKey("whpk_ of 31 bytes", `whpk_${A.publicRaw.subarray(0, 31).toString("base64")}`, "key_invalid_length");
badKey("whpk_ that is not base64", "whpk_not base64!", "key_invalid_encoding");
badKey("whpk_ of the small-order point (0, 1)", `whpk_${Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]).toString("base64")}`, "key_invalid_public_key");
badKey("whsk_ of 48 bytes", `whsk_${Buffer.alloc(48, 1).toString("base64")}`, "key_invalid_length");
badKey("whsk_ of 64 bytes whose public half belongs to another seed", `whsk_${Buffer.concat([seedOf("key A"), B.publicRaw]).toString("base64")}`, "key_pair_mismatch");
badKey("whsk_ without padding", A.whsk32.replace(/=+$/, ""), "key_invalid_encoding");

const doc = {
  comment: "Standard Webhooks v1a (ed25519) vectors computed with node:crypto's Ed25519; see SOURCES.md.",
  defaultToleranceSecs: 300,
  keys: { A: { whpk: A.whpk, whsk32: A.whsk32, whsk64: A.whsk64 }, B: { whpk: B.whpk } },
  tests,
};
writeFileSync(new URL("./ed25519.json", import.meta.url), `${JSON.stringify(doc, null, 1)}\n`);
console.log(`wrote ${tests.length} ed25519 vectors`);
