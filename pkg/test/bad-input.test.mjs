// The npm package's half of the bad-input matrix: every hostile or malformed input gets a
// precise error code (never a crash, never a false "valid").
import { test } from "node:test";
import assert from "node:assert/strict";
import * as api from "../dist/node.mjs";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW = 1_700_000_000;
const payload = '{"form":"contact","data":{"name":"Ada"}}';
const signed = () => api.sign("standard-webhooks", [SECRET], { id: "msg_1", timestamp: NOW, payload });
const verifyCode = (fn) => {
  try {
    fn();
  } catch (e) {
    return e.code;
  }
  return "valid";
};
const std = (headers, body = payload, now = NOW) =>
  verifyCode(() => new api.Webhook(SECRET).verify(body, headers, { now }));

const cases = [
  ["valid baseline", () => std(signed()), "valid"],
  ["timestamp one day in the past", () => std(signed(), payload, NOW + 86_400), "timestamp_too_old"],
  ["timestamp one day in the future", () => std(signed(), payload, NOW - 86_400), "timestamp_too_new"],
  ["timestamp year 1970", () => std({ ...signed(), "webhook-timestamp": "0" }), "timestamp_too_old"],
  ["timestamp beyond year 9999", () => std({ ...signed(), "webhook-timestamp": "999999999999999999" }), "timestamp_too_new"],
  ["timestamp with a fraction", () => std({ ...signed(), "webhook-timestamp": `${NOW}.5` }), "invalid_timestamp"],
  ["timestamp negative", () => std({ ...signed(), "webhook-timestamp": `-${NOW}` }), "invalid_timestamp"],
  ["timestamp in exponent form", () => std({ ...signed(), "webhook-timestamp": "1.7e9" }), "invalid_timestamp"],
  ["timestamp with a leading plus", () => std({ ...signed(), "webhook-timestamp": `+${NOW}` }), "invalid_timestamp"],
  ["timestamp overflowing i64", () => std({ ...signed(), "webhook-timestamp": "9".repeat(30) }), "invalid_timestamp"],
  ["timestamp as words", () => std({ ...signed(), "webhook-timestamp": "yesterday" }), "invalid_timestamp"],
  ["empty webhook-id", () => std({ ...signed(), "webhook-id": "" }), "missing_headers"],
  ["no headers at all", () => std({}), "missing_headers"],
  ["signature header with 1,000 entries", () => std({ ...signed(), "webhook-signature": Array(1000).fill(signed()["webhook-signature"]).join(" ") }), "too_many_signatures"],
  ["signature without the v1, prefix", () => std({ ...signed(), "webhook-signature": signed()["webhook-signature"].slice(3) }), "no_matching_signature"],
  ["signature with invalid base64", () => std({ ...signed(), "webhook-signature": "v1,!!!!" }), "malformed_signature"],
  ["signature of the wrong length", () => std({ ...signed(), "webhook-signature": "v1,AAAA" }), "malformed_signature"],
  ["payload one byte longer", () => std(signed(), `${payload} `), "no_matching_signature"],
  ["payload as a sub-array Uint8Array view (the signed bytes) verifies", () => {
    const bytes = new TextEncoder().encode(`xx${payload}yy`);
    return std(signed(), bytes.subarray(2, bytes.length - 2));
  }, "valid"],
  ["payload as a sub-array view of the wrong bytes", () => {
    const bytes = new TextEncoder().encode(`xx${payload}yy`);
    return std(signed(), bytes.subarray(1, bytes.length - 3));
  }, "no_matching_signature"],
  ["payload as a DataView of the signed bytes", () => {
    const bytes = new TextEncoder().encode(payload);
    return std(signed(), new DataView(bytes.buffer));
  }, "valid"],
  ["payload that is invalid UTF-8 bytes (signed as bytes)", () => {
    const bytes = Uint8Array.from([0xff, 0xfe, 0x00, 0x80]);
    const headers = api.sign("standard-webhooks", [SECRET], { id: "m", timestamp: NOW, payload: bytes });
    return verifyCode(() => new api.Webhook(SECRET).verify(bytes, headers, { now: NOW, jsonParse: false }));
  }, "valid"],
  ["payload of a wrong type (number)", () => std(signed(), 42), "invalid_payload"],
  ["secret that is not base64", () => verifyCode(() => new api.Webhook("whsec_***")), "secret_invalid_encoding"],
  ["empty secret", () => verifyCode(() => new api.Webhook("")), "secret_empty"],
  ["GitHub odd-length hex", () => verifyCode(() => api.verify("github", ["s"], "x", { "x-hub-signature-256": "sha256=abc" })), "malformed_signature"],
  ["GitHub uppercase non-hex", () => verifyCode(() => api.verify("github", ["s"], "x", { "x-hub-signature-256": `sha256=${"ZZ".repeat(32)}` })), "malformed_signature"],
  ["GitHub sha1 prefix", () => verifyCode(() => api.verify("github", ["s"], "x", { "x-hub-signature-256": `sha1=${"ab".repeat(20)}` })), "malformed_signature"],
  ["plain hex with odd length", () => verifyCode(() => api.verify("hex", ["s"], "x", { "x-splitforms-signature": "a".repeat(63) })), "malformed_signature"],
  ["Stripe header without t=", () => verifyCode(() => api.verify("stripe", ["s"], "x", { "stripe-signature": `v1=${"ab".repeat(32)}` })), "invalid_signature_header"],
  ["Stripe header with t= twice", () => verifyCode(() => api.verify("stripe", ["s"], "x", { "stripe-signature": `t=${NOW},t=${NOW},v1=${"ab".repeat(32)}` }, { now: NOW })), "invalid_signature_header"],
  ["Slack replayed an hour later", () => {
    const headers = api.sign("slack", ["s"], { timestamp: NOW, payload: "x" });
    return verifyCode(() => api.verify("slack", ["s"], "x", headers, { now: NOW + 3600 }));
  }, "timestamp_too_old"],
  ["unknown scheme", () => verifyCode(() => api.verify("md5", ["s"], "x", {})), "unknown_scheme"],
];

for (const [name, run, expected] of cases) {
  test(`bad input: ${name} → ${expected}`, () => {
    assert.equal(run(), expected);
  });
}
