// The formhook test suite, shared by every build. Each runner (node-esm.test.mjs,
// node-cjs.test.cjs, browser-build.test.mjs) loads one build and calls runSuite(api, buildName).
//
// Node 20's `node --test test/` treats every .js/.cjs/.mjs file under a directory named `test` as a
// test file, so this module is also run on its own. Then (and only then) it checks the package's
// entry points (package.json "exports", index.d.ts) instead of showing up as an empty test file.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";

const require = createRequire(import.meta.url);
const StandardWebhooks = require("standardwebhooks");
const Svix = await import("svix");
const express = await import("express").then((m) => m.default, () => undefined);

const VECTORS = JSON.parse(readFileSync(new URL("../../tests/vectors/signatures.json", import.meta.url), "utf8"));

const SECRET_A = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET_B = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const GITHUB_SECRET = "It's a Secret to Everybody";

const SCHEMES = {
  "standard-webhooks": { id: "webhook-id", timestamp: "webhook-timestamp", signature: "webhook-signature" },
  github: { signature: "x-hub-signature-256" },
  gudform: { signature: "x-gudform-signature" },
  hex: { signature: "x-splitforms-signature" },
  typeform: { signature: "typeform-signature" },
  shopify: { signature: "x-shopify-hmac-sha256" },
  stripe: { signature: "stripe-signature" },
  slack: { timestamp: "x-slack-request-timestamp", signature: "x-slack-signature" },
};

// ---------------------------------------------------------------------------------------------
// helpers

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A fresh random message id. */
const randomId = () => `msg_${randomBytes(12).toString("base64url")}`;

/** A JSON payload of about `size` bytes with multi-byte UTF-8 and characters JSON must escape. */
function randomJsonPayload(size = 200) {
  const alphabet = 'abcXYZ019 éü€😀"\\\n\t<>&.,';
  const chars = [...alphabet];
  const bytes = randomBytes(size);
  let text = "";
  for (let i = 0; Buffer.byteLength(text) < size; i++) text += chars[bytes[i % size] % chars.length];
  return JSON.stringify({ id: randomId(), n: bytes.readUInt32LE(0), nested: { ok: true, list: [1, 2, 3] }, text });
}

/**
 * The same bytes in every payload form the API accepts: a string (only for UTF-8 text), a Buffer,
 * a Uint8Array, and views at a non-zero byteOffset of a larger buffer with junk bytes around them.
 */
function payloadForms(bytes, text) {
  const forms = [];
  if (text !== undefined) forms.push(["string", text]);
  forms.push(["Buffer", Buffer.from(bytes)]);
  forms.push(["Uint8Array", new Uint8Array(bytes)]);

  const before = 13;
  const afterJunk = 11;
  const big = new ArrayBuffer(before + bytes.length + afterJunk);
  const all = new Uint8Array(big);
  all.set(randomBytes(big.byteLength));
  all.fill(0x7b, 0, 3); // a "{" or two in front, in case anything reads from offset 0
  all.set(bytes, before);
  const view = new Uint8Array(big, before, bytes.length);
  assert.ok(view.byteOffset > 0 && view.buffer.byteLength > view.byteLength, "the view must sit inside a larger buffer");
  forms.push(["Uint8Array view (byteOffset 13, junk around it)", view]);
  forms.push(["DataView (byteOffset 13, junk around it)", new DataView(big, before, bytes.length)]);

  const pool = Buffer.concat([randomBytes(7), Buffer.from(bytes), randomBytes(5)]);
  forms.push(["Buffer.subarray (byteOffset 7)", pool.subarray(7, 7 + bytes.length)]);

  const exact = new Uint8Array(bytes).buffer;
  forms.push(["ArrayBuffer", exact]);
  return forms;
}

/** An assert.throws/rejects validator for a WebhookVerificationError of this build with `code`. */
function verificationError(api, code, message) {
  return (e) => {
    assert.ok(e instanceof api.WebhookVerificationError, `expected WebhookVerificationError(${code}), got ${e?.name}: ${e?.message}`);
    assert.ok(e instanceof Error);
    assert.equal(e.name, "WebhookVerificationError");
    assert.equal(e.code, code);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  };
}

/** An assert.throws/rejects validator for a FormhookError of this build with `code`. */
function formhookError(api, code) {
  return (e) => {
    assert.ok(e instanceof api.FormhookError, `expected FormhookError(${code}), got ${e?.name}: ${e?.message}`);
    assert.ok(e instanceof Error);
    assert.equal(e.name, "FormhookError");
    assert.equal(e.code, code);
    assert.equal(typeof e.message, "string");
    assert.ok(e.message.length > 0);
    return true;
  };
}

/** Runs `fn`, returning the error it throws (failing if it does not throw). */
function thrown(fn, what) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail(`${what} did not throw`);
}

/** Standard Webhooks headers for a message signed by `signer` (anything with `.sign(id, date, payload)`). */
function standardHeaders(signer, id, date, payload, prefix = "webhook") {
  return {
    [`${prefix}-id`]: id,
    [`${prefix}-timestamp`]: String(Math.floor(date.getTime() / 1000)),
    [`${prefix}-signature`]: signer.sign(id, date, payload),
  };
}

// ---------------------------------------------------------------------------------------------

export function runSuite(api, buildName) {
  assert.equal(typeof api?.verify, "function", `${buildName}: the build must export verify()`);

  describe(`${buildName}: shared vectors (tests/vectors/signatures.json)`, () => {
    test("the vector file is the one expected", () => {
      assert.equal(VECTORS.defaultToleranceSecs, 300);
      assert.ok(VECTORS.tests.length >= 50, `only ${VECTORS.tests.length} vectors`);
      assert.ok(VECTORS.tests.some((v) => v.result === "valid"));
      assert.ok(VECTORS.tests.some((v) => v.result === "invalid"));
      assert.ok(VECTORS.tests.some((v) => v.sign));
      assert.ok(VECTORS.tests.some((v) => v.payloadHex !== undefined));
    });

    for (const v of VECTORS.tests) {
      test(`#${v.tcId} ${v.scheme}: ${v.comment} → ${v.result}${v.error ? ` (${v.error})` : ""}`, () => {
        const bytes = v.payloadHex !== undefined ? Buffer.from(v.payloadHex, "hex") : Buffer.from(v.payload, "utf8");
        const options = v.now !== undefined ? { now: v.now } : {};
        const isStandard = v.scheme === "standard-webhooks";

        if (v.result === "invalid" && v.error.startsWith("secret_")) {
          assert.throws(() => api.createVerifier(v.scheme, v.secrets), formhookError(api, v.error));
          assert.throws(() => api.verify(v.scheme, v.secrets, bytes, v.headers, options), formhookError(api, v.error));
          assert.throws(() => api.sign(v.scheme, v.secrets, { id: "x", timestamp: 1, payload: bytes }), formhookError(api, v.error));
          if (isStandard) assert.throws(() => new api.Webhook(v.secrets), formhookError(api, v.error));
          return;
        }

        const verifier = api.createVerifier(v.scheme, v.secrets);
        assert.equal(verifier.scheme, v.scheme);
        const webhook = isStandard ? new api.Webhook(v.secrets) : undefined;

        for (const [form, payload] of payloadForms(bytes, v.payload)) {
          if (v.result === "valid") {
            assert.equal(api.verify(v.scheme, v.secrets, payload, v.headers, options), true, form);
            assert.equal(verifier.verify(payload, v.headers, options), true, form);
            if (webhook) {
              assert.equal(webhook.verify(payload, v.headers, { ...options, jsonParse: false }), undefined, form);
              if (v.payload !== undefined) assert.deepEqual(webhook.verify(payload, v.headers, options), JSON.parse(v.payload), form);
            }
          } else {
            const check = verificationError(api, v.error);
            assert.throws(() => api.verify(v.scheme, v.secrets, payload, v.headers, options), check, form);
            assert.throws(() => verifier.verify(payload, v.headers, options), check, form);
            if (webhook) assert.throws(() => webhook.verify(payload, v.headers, options), check, form);
          }
        }

        if (v.sign) {
          const id = v.sign.msgId ?? undefined;
          const timestamp = v.sign.timestamp ?? undefined;
          for (const [form, payload] of payloadForms(bytes, v.payload)) {
            assert.deepEqual(api.sign(v.scheme, v.secrets, { id, timestamp, payload }), v.headers, `sign() from ${form}`);
            if (webhook) {
              const expected = v.headers["webhook-signature"];
              assert.equal(webhook.sign(v.sign.msgId, v.sign.timestamp, payload), expected, `Webhook.sign(seconds) from ${form}`);
              assert.equal(webhook.sign(v.sign.msgId, new Date(v.sign.timestamp * 1000 + 999), payload), expected, `Webhook.sign(Date) from ${form}`);
            }
          }
        }
      });
    }

    test("a verifier rejects the valid vectors once the payload is changed by one byte", () => {
      for (const v of VECTORS.tests.filter((t) => t.result === "valid")) {
        const bytes = v.payloadHex !== undefined ? Buffer.from(v.payloadHex, "hex") : Buffer.from(v.payload, "utf8");
        bytes[bytes.length - 1] ^= 0x01;
        const options = v.now !== undefined ? { now: v.now } : {};
        assert.throws(() => api.verify(v.scheme, v.secrets, bytes, v.headers, options), verificationError(api, "no_matching_signature"), `#${v.tcId}`);
      }
    });
  });

  describe(`${buildName}: Webhook, a drop-in for standardwebhooks`, () => {
    const payload = JSON.stringify({ type: "user.created", data: { id: 7, name: "Zoë", tags: ["a", "€"] } });

    test("Webhook.prefix is whsec_, like standardwebhooks", () => {
      assert.equal(api.Webhook.prefix, StandardWebhooks.Webhook.prefix);
      assert.equal(api.Webhook.prefix, "whsec_");
    });

    test("the same constructor forms give the same signatures as standardwebhooks", () => {
      const date = new Date(1_700_000_000_456);
      const forms = [
        ["whsec_ string", SECRET_A, undefined],
        ["bare base64", SECRET_A.slice(6), undefined],
        ["another whsec_ string", SECRET_B, undefined],
        ['{format: "raw"} with a string', "a raw key, used as it is", { format: "raw" }],
        ['{format: "raw"} with a whsec_-looking string', SECRET_A, { format: "raw" }],
        ['{format: "raw"} with a Uint8Array', new Uint8Array([0, 1, 2, 3, 255, 254, 128, 127, 9, 10]), { format: "raw" }],
      ];
      const seen = new Set();
      for (const [name, secret, options] of forms) {
        const ours = new api.Webhook(secret, options).sign("msg_ctor", date, payload);
        const theirs = new StandardWebhooks.Webhook(secret, options).sign("msg_ctor", date, payload);
        assert.equal(ours, theirs, name);
        assert.match(ours, /^v1,[A-Za-z0-9+/]{43}=$/, name);
        seen.add(ours);
      }
      // whsec_X and bare X are the same key; every other form is a different key
      assert.equal(seen.size, forms.length - 1);
    });

    test("a raw Uint8Array key does not need {format: \"raw\"}", () => {
      const key = new Uint8Array(randomBytes(24));
      const date = new Date();
      assert.equal(
        new api.Webhook(key).sign("msg_raw", date, payload),
        new StandardWebhooks.Webhook(key, { format: "raw" }).sign("msg_raw", date, payload),
      );
    });

    test("sign(msgId, Date, payload) equals standardwebhooks' for strings, Buffers and Dates with milliseconds", () => {
      const ours = new api.Webhook(SECRET_A);
      const theirs = new StandardWebhooks.Webhook(SECRET_A);
      for (let i = 0; i < 8; i++) {
        const id = randomId();
        const date = new Date(1_600_000_000_000 + Math.floor(Math.random() * 1e11));
        const body = randomJsonPayload(50 + i * 100);
        assert.equal(ours.sign(id, date, body), theirs.sign(id, date, body), `string #${i}`);
        assert.equal(ours.sign(id, date, Buffer.from(body)), theirs.sign(id, date, Buffer.from(body)), `Buffer #${i}`);
        assert.equal(ours.sign(id, Math.floor(date.getTime() / 1000), body), theirs.sign(id, date, body), `seconds #${i}`);
      }
    });

    test("verify returns the parsed JSON, as standardwebhooks does", () => {
      const headers = standardHeaders(new StandardWebhooks.Webhook(SECRET_A), "msg_json", new Date(), payload);
      const ours = new api.Webhook(SECRET_A).verify(payload, headers);
      assert.deepEqual(ours, JSON.parse(payload));
      assert.deepEqual(ours, new StandardWebhooks.Webhook(SECRET_A).verify(payload, headers));
      assert.deepEqual(new api.Webhook(SECRET_A).verify(Buffer.from(payload), headers), JSON.parse(payload));
    });

    test("verify returns undefined for an empty payload, as standardwebhooks does", () => {
      const headers = standardHeaders(new StandardWebhooks.Webhook(SECRET_A), "msg_empty", new Date(), "");
      assert.equal(new StandardWebhooks.Webhook(SECRET_A).verify("", headers), undefined);
      assert.equal(new api.Webhook(SECRET_A).verify("", headers), undefined);
      assert.equal(new api.Webhook(SECRET_A).verify(new Uint8Array(0), headers), undefined);
      // and the empty payload is still checked
      assert.throws(() => new api.Webhook(SECRET_A).verify(" ", headers), verificationError(api, "no_matching_signature"));
    });

    test("verify respects {jsonParse: false} and still verifies", () => {
      const headers = standardHeaders(new StandardWebhooks.Webhook(SECRET_A), "msg_nojson", new Date(), payload);
      assert.equal(new api.Webhook(SECRET_A).verify(payload, headers, { jsonParse: false }), undefined);
      assert.deepEqual(new api.Webhook(SECRET_A).verify(payload, headers, { jsonParse: true }), JSON.parse(payload));
      assert.throws(
        () => new api.Webhook(SECRET_A).verify(`${payload} `, headers, { jsonParse: false }),
        verificationError(api, "no_matching_signature"),
      );
      // a signed body that is not JSON: SyntaxError by default (like theirs), fine with jsonParse false
      const text = "not json at all";
      const textHeaders = standardHeaders(new StandardWebhooks.Webhook(SECRET_A), "msg_text", new Date(), text);
      assert.throws(() => new StandardWebhooks.Webhook(SECRET_A).verify(text, textHeaders), SyntaxError);
      assert.throws(() => new api.Webhook(SECRET_A).verify(text, textHeaders), SyntaxError);
      assert.equal(new api.Webhook(SECRET_A).verify(text, textHeaders, { jsonParse: false }), undefined);
    });

    test("errors have the class name and messages of standardwebhooks' (same inputs to both)", () => {
      const ours = new api.Webhook(SECRET_A);
      const theirs = new StandardWebhooks.Webhook(SECRET_A);
      const signer = theirs;
      const now = Date.now();
      const good = standardHeaders(signer, "msg_cmp", new Date(now), payload);
      const { "webhook-id": _id, ...noId } = good;
      const { "webhook-timestamp": _ts, ...noTimestamp } = good;
      const { "webhook-signature": _sig, ...noSignature } = good;
      const cases = [
        ["missing webhook-id", payload, noId, "missing_headers"],
        ["missing webhook-timestamp", payload, noTimestamp, "missing_headers"],
        ["missing webhook-signature", payload, noSignature, "missing_headers"],
        ["no headers at all", payload, {}, "missing_headers"],
        ["an hour old", payload, standardHeaders(signer, "msg_old", new Date(now - 3_600_000), payload), "timestamp_too_old"],
        ["a day old", payload, standardHeaders(signer, "msg_old2", new Date(now - 86_400_000), payload), "timestamp_too_old"],
        ["an hour ahead", payload, standardHeaders(signer, "msg_new", new Date(now + 3_600_000), payload), "timestamp_too_new"],
        ["tampered payload", `${payload}\n`, good, "no_matching_signature"],
        ["signed with another secret", payload, standardHeaders(new StandardWebhooks.Webhook(SECRET_B), "msg_cmp", new Date(now), payload), "no_matching_signature"],
        ["message id swapped", payload, { ...good, "webhook-id": "msg_other" }, "no_matching_signature"],
        ["non-numeric timestamp", payload, { ...good, "webhook-timestamp": "yesterday" }, "invalid_timestamp"],
      ];
      for (const [name, body, headers, code] of cases) {
        const theirError = thrown(() => theirs.verify(body, headers), `standardwebhooks on "${name}"`);
        const ourError = thrown(() => ours.verify(body, headers), `formhook on "${name}"`);
        assert.equal(theirError.name, "WebhookVerificationError", name);
        assert.ok(ourError instanceof api.WebhookVerificationError, name);
        assert.equal(ourError.name, theirError.name, name);
        assert.equal(ourError.constructor.name, "WebhookVerificationError", name);
        assert.equal(ourError.message, theirError.message, name);
        assert.equal(ourError.code, code, name);
      }
    });

    test("a signature that does not decode still reads as 'No matching signature found…'", () => {
      const headers = { ...standardHeaders(new StandardWebhooks.Webhook(SECRET_A), "msg_bad", new Date(), payload), "webhook-signature": "v1,abc" };
      const theirError = thrown(() => new StandardWebhooks.Webhook(SECRET_A).verify(payload, headers), "standardwebhooks");
      const ourError = thrown(() => new api.Webhook(SECRET_A).verify(payload, headers), "formhook");
      assert.equal(ourError.code, "malformed_signature");
      assert.ok(ourError.message.startsWith(theirError.message), `${ourError.message} vs ${theirError.message}`);
    });

    test("tolerance option and the now option (seconds or Date)", () => {
      const ts = 1_700_000_000;
      const headers = standardHeaders(new StandardWebhooks.Webhook(SECRET_A), "msg_tol", new Date(ts * 1000), payload);
      const relaxed = new api.Webhook(SECRET_A);
      const strict = new api.Webhook(SECRET_A, { tolerance: 10 });
      assert.deepEqual(relaxed.verify(payload, headers, { now: ts + 60 }), JSON.parse(payload));
      assert.deepEqual(relaxed.verify(payload, headers, { now: new Date((ts + 60) * 1000) }), JSON.parse(payload));
      assert.deepEqual(strict.verify(payload, headers, { now: ts + 10 }), JSON.parse(payload));
      assert.throws(() => strict.verify(payload, headers, { now: ts + 60 }), verificationError(api, "timestamp_too_old"));
      assert.throws(() => strict.verify(payload, headers, { now: new Date((ts - 60) * 1000) }), verificationError(api, "timestamp_too_new"));
      assert.throws(() => relaxed.verify(payload, headers, { now: ts + 301 }), verificationError(api, "timestamp_too_old"));
      // without `now`, the real clock: this 2023 message is far too old
      assert.throws(() => relaxed.verify(payload, headers), verificationError(api, "timestamp_too_old"));
    });

    describe("header forms", () => {
      const date = new Date();
      const id = "msg_headers";
      const signed = standardHeaders(new StandardWebhooks.Webhook(SECRET_A), id, date, payload);
      const wrong = new StandardWebhooks.Webhook(SECRET_B).sign(id, date, payload);
      const ts = signed["webhook-timestamp"];
      const stranger = api.generateSecret();
      const forms = [
        ["lowercase record", signed],
        ["mixed-case record", { "Webhook-Id": id, "WEBHOOK-TIMESTAMP": ts, "webhook-Signature": signed["webhook-signature"] }],
        ["Fetch Headers", new Headers(signed)],
        ["Fetch Headers built from mixed case", new Headers({ "WEBHOOK-ID": id, "Webhook-Timestamp": ts, "Webhook-Signature": signed["webhook-signature"] })],
        ["Map", new Map(Object.entries(signed))],
        ["array values", { "webhook-id": [id], "webhook-timestamp": [ts], "webhook-signature": [signed["webhook-signature"]] }],
        ["array of two signatures, wrong one first", { ...signed, "webhook-signature": [wrong, signed["webhook-signature"]] }],
        ["array of two signatures, right one first", { ...signed, "webhook-signature": [signed["webhook-signature"], wrong] }],
        ["svix-* record", { "svix-id": id, "svix-timestamp": ts, "svix-signature": signed["webhook-signature"] }],
        ["Svix-* mixed-case record", { "Svix-Id": id, "Svix-Timestamp": ts, "Svix-Signature": signed["webhook-signature"] }],
        ["svix-* Fetch Headers", new Headers({ "svix-id": id, "svix-timestamp": ts, "svix-signature": signed["webhook-signature"] })],
      ];
      for (const [name, headers] of forms) {
        test(`${name}: verifies, and a tampered payload is rejected`, () => {
          assert.deepEqual(new api.Webhook(SECRET_A).verify(payload, headers), JSON.parse(payload));
          assert.throws(() => new api.Webhook(SECRET_A).verify(`${payload} `, headers), verificationError(api, "no_matching_signature"));
          assert.throws(() => new api.Webhook(stranger).verify(payload, headers), verificationError(api, "no_matching_signature"));
        });
      }

      test("Fetch Headers with webhook-signature appended twice (Headers joins them with ', ')", () => {
        const headers = new Headers({ "webhook-id": id, "webhook-timestamp": ts });
        headers.append("webhook-signature", signed["webhook-signature"]);
        headers.append("webhook-signature", wrong);
        assert.deepEqual(new api.Webhook(SECRET_A).verify(payload, headers), JSON.parse(payload));
      });

      test("empty webhook-id / webhook-signature values are 'Missing required headers', as in standardwebhooks", () => {
        const theirs = new StandardWebhooks.Webhook(SECRET_A);
        const emptyId = { ...standardHeaders(theirs, "", date, payload), "webhook-id": "" };
        const emptySignature = { ...signed, "webhook-signature": "" };
        for (const headers of [emptyId, emptySignature]) {
          const theirError = thrown(() => theirs.verify(payload, headers), "standardwebhooks");
          const ourError = thrown(() => new api.Webhook(SECRET_A).verify(payload, headers), "formhook");
          assert.equal(ourError.message, theirError.message);
          assert.equal(ourError.code, "missing_headers");
        }
      });
    });
  });

  describe(`${buildName}: interoperability with standardwebhooks and svix`, () => {
    const cases = [
      ...Array.from({ length: 6 }, (_, i) => [`random payload #${i + 1}`, randomJsonPayload(20 + i * 300)]),
      ["64 KB payload", randomJsonPayload(64 * 1024)],
      ["non-JSON text", "a=1&b=%20&c=é"],
    ];
    const secret = api.generateSecret();

    for (const [name, body] of cases) {
      test(`${name}: theirs → ours and ours → theirs`, () => {
        const isJson = body.startsWith("{");
        const opts = isJson ? {} : { jsonParse: false };
        const expected = isJson ? JSON.parse(body) : undefined;
        if (name.startsWith("64 KB")) assert.ok(Buffer.byteLength(body) >= 64 * 1024);
        const ours = new api.Webhook(secret);
        const standard = new StandardWebhooks.Webhook(secret);
        const svix = new Svix.Webhook(secret);
        const id = randomId();
        const date = new Date();

        // standardwebhooks signs, formhook verifies (string and bytes)
        const fromStandard = standardHeaders(standard, id, date, body);
        assert.deepEqual(ours.verify(body, fromStandard, opts), expected);
        assert.deepEqual(ours.verify(Buffer.from(body), fromStandard, opts), expected);
        assert.equal(api.verify("standard-webhooks", secret, body, fromStandard), true);

        // svix signs (svix-* headers), formhook verifies
        const fromSvix = standardHeaders(svix, id, date, body, "svix");
        assert.deepEqual(ours.verify(body, fromSvix, opts), expected);
        assert.deepEqual(ours.verify(new Uint8Array(Buffer.from(body)), fromSvix, opts), expected);

        // formhook signs, both verify; the signature is byte-for-byte theirs
        const fromOurs = standardHeaders(ours, id, date, body);
        assert.equal(fromOurs["webhook-signature"], fromStandard["webhook-signature"]);
        assert.deepEqual(standard.verify(body, fromOurs, opts), expected);
        assert.equal(svix.verify(body, standardHeaders(ours, id, date, body, "svix")), undefined);
        assert.equal(svix.verify(body, fromOurs), undefined);

        // sign() helper output goes straight to standardwebhooks
        const signedHeaders = api.sign("standard-webhooks", secret, { id, timestamp: date, payload: Buffer.from(body) });
        assert.deepEqual(Object.keys(signedHeaders).sort(), ["webhook-id", "webhook-signature", "webhook-timestamp"]);
        assert.deepEqual(standard.verify(body, signedHeaders, opts), expected);

        // and what theirs rejects, ours rejects
        const tampered = `${body.slice(0, -1)}${body.endsWith("x") ? "y" : "x"}`;
        assert.throws(() => standard.verify(tampered, fromOurs, opts), StandardWebhooks.WebhookVerificationError);
        assert.throws(() => ours.verify(tampered, fromStandard, opts), verificationError(api, "no_matching_signature"));
      });
    }
  });

  describe(`${buildName}: secret rotation`, () => {
    const payload = JSON.stringify({ rotation: true, n: 42 });
    const oldSecret = api.generateSecret();
    const newSecret = api.generateSecret();

    test("new Webhook([old, new]) verifies messages signed by either, and no other", () => {
      const rotating = new api.Webhook([oldSecret, newSecret]);
      const date = new Date();
      for (const secret of [oldSecret, newSecret]) {
        const headers = standardHeaders(new StandardWebhooks.Webhook(secret), randomId(), date, payload);
        assert.deepEqual(rotating.verify(payload, headers), JSON.parse(payload));
        assert.equal(api.verify("standard-webhooks", [oldSecret, newSecret], payload, headers), true);
        assert.equal(api.verify("standard-webhooks", [newSecret, oldSecret], payload, headers), true);
      }
      const stranger = standardHeaders(new StandardWebhooks.Webhook(api.generateSecret()), randomId(), date, payload);
      assert.throws(() => rotating.verify(payload, stranger), verificationError(api, "no_matching_signature"));
      // with only the new secret, a message signed with the old one fails
      const oldSigned = standardHeaders(new StandardWebhooks.Webhook(oldSecret), randomId(), date, payload);
      assert.throws(() => new api.Webhook(newSecret).verify(payload, oldSigned), verificationError(api, "no_matching_signature"));
    });

    test("signing with two secrets yields two space-separated v1 entries, each verifiable by standardwebhooks", () => {
      const id = randomId();
      const date = new Date();
      const value = new api.Webhook([oldSecret, newSecret]).sign(id, date, payload);
      const entries = value.split(" ");
      assert.equal(entries.length, 2, value);
      for (const entry of entries) assert.match(entry, /^v1,[A-Za-z0-9+/]{43}=$/);
      assert.equal(entries[0], new StandardWebhooks.Webhook(oldSecret).sign(id, date, payload));
      assert.equal(entries[1], new StandardWebhooks.Webhook(newSecret).sign(id, date, payload));
      const base = { "webhook-id": id, "webhook-timestamp": String(Math.floor(date.getTime() / 1000)) };
      assert.deepEqual(new StandardWebhooks.Webhook(oldSecret).verify(payload, { ...base, "webhook-signature": entries[0] }), JSON.parse(payload));
      assert.deepEqual(new StandardWebhooks.Webhook(newSecret).verify(payload, { ...base, "webhook-signature": entries[1] }), JSON.parse(payload));
      assert.throws(() => new StandardWebhooks.Webhook(newSecret).verify(payload, { ...base, "webhook-signature": entries[0] }), StandardWebhooks.WebhookVerificationError);
      // the whole two-entry header is accepted by theirs for either secret
      for (const secret of [oldSecret, newSecret]) {
        assert.deepEqual(new StandardWebhooks.Webhook(secret).verify(payload, { ...base, "webhook-signature": value }), JSON.parse(payload));
      }
      // sign() with a list of secrets writes the same value
      assert.equal(api.sign("standard-webhooks", [oldSecret, newSecret], { id, timestamp: date, payload })["webhook-signature"], value);
    });
  });

  describe(`${buildName}: verifyRequest`, () => {
    const secret = api.generateSecret();
    const body = JSON.stringify({ event: "form.submitted", answers: [{ q: "email", a: "a@b.c" }], note: "ünïcode" });
    const request = (payload, headers) => new Request("http://127.0.0.1/webhook", { method: "POST", body: payload, headers });

    test('verifyRequest(request, "standard-webhooks", secret) returns {payload, data}', async () => {
      const headers = api.sign("standard-webhooks", secret, { id: randomId(), payload: body });
      const result = await api.verifyRequest(request(body, headers), "standard-webhooks", secret);
      assert.deepEqual(Object.keys(result).sort(), ["data", "payload"]);
      assert.ok(result.payload instanceof Uint8Array);
      assert.deepEqual(Buffer.from(result.payload), Buffer.from(body));
      assert.deepEqual(result.data, JSON.parse(body));
    });

    test("a tampered body rejects with WebhookVerificationError", async () => {
      const headers = api.sign("standard-webhooks", secret, { id: randomId(), payload: body });
      await assert.rejects(api.verifyRequest(request(body.replace("a@b.c", "x@b.c"), headers), "standard-webhooks", secret), verificationError(api, "no_matching_signature"));
      await assert.rejects(api.verifyRequest(request(body, headers), "standard-webhooks", api.generateSecret()), verificationError(api, "no_matching_signature"));
      const { "webhook-signature": _drop, ...noSignature } = headers;
      await assert.rejects(api.verifyRequest(request(body, noSignature), "standard-webhooks", secret), verificationError(api, "missing_headers"));
    });

    test("verifyRequest(request, webhookInstance)", async () => {
      const webhook = new api.Webhook(secret);
      const headers = standardHeaders(new StandardWebhooks.Webhook(secret), randomId(), new Date(), body);
      const result = await api.verifyRequest(request(body, headers), webhook);
      assert.deepEqual(result.data, JSON.parse(body));
      assert.deepEqual(Buffer.from(result.payload), Buffer.from(body));
      await assert.rejects(api.verifyRequest(request(`${body} `, headers), webhook), verificationError(api, "no_matching_signature"));
      // svix-* headers through a Request
      const svixHeaders = standardHeaders(new Svix.Webhook(secret), randomId(), new Date(), body, "svix");
      assert.deepEqual((await api.verifyRequest(request(body, svixHeaders), webhook)).data, JSON.parse(body));
    });

    test("other schemes and bodies: form-encoded Slack (data undefined), binary bytes, options.now", async () => {
      const slackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
      const form = "token=abc&team_id=T1&text=hello%20world";
      const slackHeaders = api.sign("slack", slackSecret, { payload: form });
      const slack = await api.verifyRequest(request(form, slackHeaders), "slack", slackSecret);
      assert.equal(slack.data, undefined);
      assert.equal(Buffer.from(slack.payload).toString(), form);

      const v = VECTORS.tests.find((t) => t.payloadHex !== undefined && t.result === "valid");
      const bytes = Buffer.from(v.payloadHex, "hex");
      const binary = await api.verifyRequest(request(bytes, v.headers), v.scheme, v.secrets, { now: v.now });
      assert.deepEqual(Buffer.from(binary.payload), bytes);
      assert.equal(binary.data, undefined);
      await assert.rejects(api.verifyRequest(request(bytes, v.headers), v.scheme, v.secrets), verificationError(api, "timestamp_too_old"));
    });

    test("an unknown scheme rejects with FormhookError", async () => {
      await assert.rejects(api.verifyRequest(request(body, {}), "nope", secret), formhookError(api, "unknown_scheme"));
    });
  });

  describe(`${buildName}: expressVerifier with a real express app`, { skip: express ? false : "express is not installed" }, () => {
    let server;
    let base;
    const secret = GITHUB_SECRET;
    const standardSecret = api.generateSecret();
    const echo = (req, res) => res.json({ ok: true, event: req.webhook ?? null });

    before(async () => {
      const app = express();
      app.post("/github", express.raw({ type: "*/*" }), api.expressVerifier("github", secret), echo);
      app.post("/standard", express.raw({ type: "*/*" }), api.expressVerifier(new api.Webhook(standardSecret)), echo);
      app.post("/no-raw", api.expressVerifier("github", secret), echo);
      app.post("/json-first", express.json(), api.expressVerifier("github", secret), echo);
      server = createServer(app);
      await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
      });
      base = `http://127.0.0.1:${server.address().port}`;
    });

    after(async () => {
      if (!server) return;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    const post = async (path, body, headers) => {
      const response = await fetch(base + path, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
      return { status: response.status, body: await response.json() };
    };
    const payload = JSON.stringify({ action: "opened", number: 1347, title: "Zoë's PR" });

    test("a signed request reaches the handler with the parsed body", async () => {
      const headers = api.sign("github", secret, { payload });
      const { status, body } = await post("/github", payload, headers);
      assert.equal(status, 200);
      assert.deepEqual(body, { ok: true, event: JSON.parse(payload) });
    });

    test("a tampered request gets 400 {error: {code: 'no_matching_signature'}}", async () => {
      const headers = api.sign("github", secret, { payload });
      const { status, body } = await post("/github", payload.replace("1347", "1348"), headers);
      assert.equal(status, 400);
      assert.equal(body.error.code, "no_matching_signature");
      assert.equal(typeof body.error.message, "string");
      assert.ok(body.error.message.length > 0);
    });

    test("a request without the signature header gets 400 missing_headers", async () => {
      const { status, body } = await post("/github", payload, {});
      assert.equal(status, 400);
      assert.equal(body.error.code, "missing_headers");
    });

    test("expressVerifier(webhookInstance) for Standard Webhooks", async () => {
      const good = standardHeaders(new StandardWebhooks.Webhook(standardSecret), randomId(), new Date(), payload);
      const ok = await post("/standard", payload, good);
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body, { ok: true, event: JSON.parse(payload) });
      const old = standardHeaders(new StandardWebhooks.Webhook(standardSecret), randomId(), new Date(Date.now() - 3_600_000), payload);
      const stale = await post("/standard", payload, old);
      assert.equal(stale.status, 400);
      assert.equal(stale.body.error.code, "timestamp_too_old");
      assert.equal(stale.body.error.message, "Message timestamp too old");
    });

    test("without express.raw (no body, or a JSON-parsed body) → 500 body_not_raw", async () => {
      const headers = api.sign("github", secret, { payload });
      for (const path of ["/no-raw", "/json-first"]) {
        const { status, body } = await post(path, payload, headers);
        assert.equal(status, 500, path);
        assert.equal(body.error.code, "body_not_raw", path);
      }
    });
  });

  describe(`${buildName}: generateSecret, listSchemes, errors, toBytes`, () => {
    test("generateSecret() is whsec_ + base64 of 32 random bytes, and two calls differ", () => {
      const a = api.generateSecret();
      const b = api.generateSecret();
      for (const s of [a, b]) {
        assert.match(s, /^whsec_[A-Za-z0-9+/]{43}=$/);
        const key = Buffer.from(s.slice(6), "base64");
        assert.equal(key.length, 32);
        assert.equal(key.toString("base64"), s.slice(6));
      }
      assert.notEqual(a, b);
    });

    test("generateSecret(bytes) honours 24..64 and rejects other sizes with FormhookError", () => {
      assert.equal(Buffer.from(api.generateSecret(24).slice(6), "base64").length, 24);
      assert.equal(Buffer.from(api.generateSecret(64).slice(6), "base64").length, 64);
      for (const n of [0, 16, 23, 65]) assert.throws(() => api.generateSecret(n), formhookError(api, "secret_bad_random_length"), String(n));
    });

    test("a generated secret signs and verifies, with formhook and with standardwebhooks", () => {
      const secret = api.generateSecret();
      const payload = randomJsonPayload();
      const id = randomId();
      const date = new Date();
      const ours = standardHeaders(new api.Webhook(secret), id, date, payload);
      assert.deepEqual(new api.Webhook(secret).verify(payload, ours), JSON.parse(payload));
      assert.deepEqual(new StandardWebhooks.Webhook(secret).verify(payload, ours), JSON.parse(payload));
      const theirs = standardHeaders(new StandardWebhooks.Webhook(secret), id, date, payload);
      assert.deepEqual(new api.Webhook(secret).verify(payload, theirs), JSON.parse(payload));
      assert.throws(() => new api.Webhook(api.generateSecret()).verify(payload, ours), verificationError(api, "no_matching_signature"));
    });

    test("listSchemes() lists the 8 schemes with their header names", () => {
      const list = api.listSchemes();
      assert.equal(list.length, 8);
      assert.deepEqual(list.map((s) => s.name).sort(), Object.keys(SCHEMES).sort());
      for (const { name, headers } of list) {
        const expected = SCHEMES[name];
        assert.equal(headers.signature, expected.signature, name);
        assert.equal(headers.id, expected.id, name);
        assert.equal(headers.timestamp, expected.timestamp, name);
      }
    });

    test("every listed scheme signs and verifies its own output, under its own header names", () => {
      const payload = randomJsonPayload();
      const timestamp = nowSeconds();
      for (const { name, headers: names } of api.listSchemes()) {
        const secret = name === "standard-webhooks" ? SECRET_A : `${name}-secret-0123456789`;
        const headers = api.sign(name, secret, { id: "msg_1", timestamp, payload });
        assert.deepEqual(Object.keys(headers).sort(), Object.values(names).filter(Boolean).sort(), name);
        assert.equal(api.verify(name, secret, payload, headers), true, name);
        assert.throws(() => api.verify(name, secret, `${payload} `, headers), verificationError(api, "no_matching_signature"), name);
      }
    });

    test("aliases: standard and svix → standard-webhooks, splitforms → hex", () => {
      assert.equal(api.createVerifier("standard", SECRET_A).scheme, "standard-webhooks");
      assert.equal(api.createVerifier("svix", SECRET_A).scheme, "standard-webhooks");
      assert.equal(api.createVerifier("splitforms", "k").scheme, "hex");
      const v = VECTORS.tests.find((t) => t.tcId === 1);
      assert.equal(api.verify("svix", v.secrets, v.payload, v.headers, { now: v.now }), true);
      const hex = VECTORS.tests.find((t) => t.scheme === "hex" && t.result === "valid");
      assert.equal(api.verify("splitforms", hex.secrets, hex.payload, hex.headers), true);
    });

    test("options.header moves the signature header, for sign() and verify()", () => {
      const payload = "custom header";
      const headers = api.sign("github", GITHUB_SECRET, { payload, header: "X-Custom-Signature" });
      assert.deepEqual(Object.keys(headers), ["x-custom-signature"]);
      assert.equal(api.verify("github", GITHUB_SECRET, payload, headers, { header: "X-Custom-Signature" }), true);
      assert.throws(() => api.verify("github", GITHUB_SECRET, payload, headers), verificationError(api, "missing_headers"));
    });

    test("an unknown scheme is a FormhookError with code unknown_scheme", () => {
      const check = formhookError(api, "unknown_scheme");
      assert.throws(() => api.verify("paypal", "secret", "{}", {}), check);
      assert.throws(() => api.createVerifier("paypal", "secret"), check);
      assert.throws(() => api.sign("paypal", "secret", { payload: "{}" }), check);
      assert.throws(() => api.verify("", "secret", "{}", {}), check);
      const e = thrown(() => api.verify("paypal", "secret", "{}", {}), "verify");
      assert.match(e.message, /paypal/);
      assert.match(e.message, /standard-webhooks/);
    });

    test("a payload of the wrong type (a number, an object, null) is a FormhookError with code invalid_payload", () => {
      const check = formhookError(api, "invalid_payload");
      const signed = api.sign("standard-webhooks", SECRET_A, { id: "msg", payload: "42" });
      for (const bad of [42, { a: 1 }, null, [1, 2]]) {
        assert.throws(() => api.verify("standard-webhooks", SECRET_A, bad, signed), check, inspect(bad));
        assert.throws(() => api.createVerifier("github", GITHUB_SECRET).verify(bad, {}), check, inspect(bad));
        assert.throws(() => new api.Webhook(SECRET_A).verify(bad, signed), check, inspect(bad));
        assert.throws(() => new api.Webhook(SECRET_A).sign("msg", new Date(), bad), check, inspect(bad));
        assert.throws(() => api.sign("github", GITHUB_SECRET, { payload: bad }), check, inspect(bad));
        assert.throws(() => api.toBytes(bad), check, inspect(bad));
      }
    });

    test("bad secrets are FormhookErrors raised when the verifier is built", () => {
      assert.throws(() => new api.Webhook("whsec_%%%"), formhookError(api, "secret_invalid_encoding"));
      assert.throws(() => new api.Webhook(""), formhookError(api, "secret_empty"));
      assert.throws(() => new api.Webhook([]), formhookError(api, "secret_empty"));
      assert.throws(() => new api.Webhook(12345), formhookError(api, "invalid_secret"));
      assert.throws(() => api.createVerifier("github", []), formhookError(api, "secret_empty"));
      // the secret check does not wait for the first message
      assert.throws(() => api.createVerifier("standard-webhooks", [SECRET_A, "whsec_%%%"]), formhookError(api, "secret_invalid_encoding"));
    });

    test("toBytes keeps byteOffset (no copy) and encodes strings as UTF-8", () => {
      const big = new ArrayBuffer(32);
      const view = new Uint8Array(big, 5, 10);
      const bytes = api.toBytes(view);
      assert.equal(bytes.buffer, big);
      assert.equal(bytes.byteOffset, 5);
      assert.equal(bytes.byteLength, 10);
      view[0] = 0xab;
      assert.equal(bytes[0], 0xab, "a view, not a copy");

      const dv = api.toBytes(new DataView(big, 7, 3));
      assert.ok(dv instanceof Uint8Array);
      assert.equal(dv.buffer, big);
      assert.equal(dv.byteOffset, 7);
      assert.equal(dv.byteLength, 3);

      const words = api.toBytes(new Uint16Array(big, 4, 2));
      assert.equal(words.byteOffset, 4);
      assert.equal(words.byteLength, 4);

      const whole = api.toBytes(big);
      assert.equal(whole.buffer, big);
      assert.equal(whole.byteLength, 32);

      const sub = Buffer.from("..hello..").subarray(2, 7);
      const subBytes = api.toBytes(sub);
      assert.equal(subBytes.byteOffset, sub.byteOffset);
      assert.equal(Buffer.from(subBytes).toString(), "hello");

      assert.deepEqual([...api.toBytes("é€😀")], [...Buffer.from("é€😀", "utf8")]);
      assert.equal(api.toBytes("").length, 0);
    });
  });

  describe(`${buildName}: secrets never leak`, () => {
    const whsec = api.generateSecret();
    const body = whsec.slice(6);
    const rawSecret = "raw-Very-Distinctive-Secret-7731";
    const githubSecret = "gh-Very-Distinctive-Secret-4410";
    const badSecret = "whsec_Hidden-Distinctive!Secret%%%9182";
    const needles = [whsec, body, body.slice(0, 16), rawSecret, "Very-Distinctive", githubSecret, "Distinctive!Secret", "9182"];

    const assertClean = (text, what) => {
      for (const needle of needles) assert.ok(!text.includes(needle), `${what} contains the secret ${JSON.stringify(needle)}: ${text}`);
    };

    test("String(), util.inspect(), JSON.stringify() of Webhook and verifiers do not contain the secret", () => {
      const objects = [
        ["Webhook", new api.Webhook(whsec)],
        ["rotating Webhook", new api.Webhook([whsec, api.generateSecret()])],
        ["raw Webhook", new api.Webhook(rawSecret, { format: "raw" })],
        ["createVerifier", api.createVerifier("standard-webhooks", whsec)],
        ["github verifier", api.createVerifier("github", githubSecret)],
        ["expressVerifier", api.expressVerifier("github", githubSecret)],
      ];
      for (const [name, object] of objects) {
        assertClean(String(object), `String(${name})`);
        assertClean(inspect(object, { showHidden: true, depth: Infinity, getters: true }), `inspect(${name})`);
        assertClean(JSON.stringify(object) ?? "", `JSON.stringify(${name})`);
        assertClean(Object.getOwnPropertyNames(object).map((k) => `${k}=${String(object[k])}`).join(";"), `properties of ${name}`);
      }
    });

    test("no error message (or stack, or inspect of the error) contains the secret", () => {
      const payload = JSON.stringify({ hello: "world" });
      const now = new Date();
      const good = standardHeaders(new api.Webhook(whsec), "msg_leak", now, payload);
      const errors = [
        thrown(() => new api.Webhook(badSecret), "bad whsec_"),
        thrown(() => new api.Webhook(badSecret.slice(6)), "bad bare base64"),
        thrown(() => api.createVerifier("standard-webhooks", [whsec, badSecret]), "rotation with one bad secret"),
        thrown(() => api.sign("standard-webhooks", badSecret, { payload }), "sign with a bad secret"),
        thrown(() => new api.Webhook(whsec).verify(`${payload} `, good), "tampered"),
        thrown(() => new api.Webhook(whsec).verify(payload, { ...good, "webhook-signature": `v1,${body}` }), "secret as signature"),
        thrown(() => new api.Webhook(whsec).verify(payload, { ...good, "webhook-timestamp": "1" }), "too old"),
        thrown(() => new api.Webhook(whsec).verify(payload, {}), "missing"),
        thrown(() => new api.Webhook(rawSecret, { format: "raw" }).verify(payload, good), "raw, wrong key"),
        thrown(() => api.verify("github", githubSecret, payload, { "x-hub-signature-256": "sha256=zz" }), "github malformed"),
        thrown(() => api.verify("github", githubSecret, payload, { "x-hub-signature-256": `sha256=${"0".repeat(64)}` }), "github no match"),
        thrown(() => api.verify("nope", githubSecret, payload, {}), "unknown scheme"),
        thrown(() => api.verify("github", githubSecret, 42, {}), "bad payload"),
      ];
      for (const e of errors) {
        assert.ok(e instanceof api.FormhookError || e instanceof api.WebhookVerificationError, `${e?.name}: ${e?.message}`);
        assertClean(e.message, `message of ${e.name}(${e.code})`);
        assertClean(String(e.stack), `stack of ${e.name}(${e.code})`);
        assertClean(inspect(e, { showHidden: true, depth: Infinity }), `inspect of ${e.name}(${e.code})`);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Run as a file of its own (Node 20's --test runs every module under test/): check the entry points.

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  describe("package entry points", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

    test('import("formhook") resolves to dist/node.mjs through package.json "exports"', async () => {
      const [byName, byPath] = await Promise.all([import(pkg.name), import("../dist/node.mjs")]);
      assert.equal(byName.Webhook, byPath.Webhook);
      assert.equal(byName.verify, byPath.verify);
    });

    test('require("formhook") resolves to dist/node.cjs through package.json "exports"', async () => {
      const byName = require(pkg.name);
      const byPath = require("../dist/node.cjs");
      assert.equal(byName.Webhook, byPath.Webhook);
      assert.notEqual(byName.Webhook, (await import("../dist/node.mjs")).Webhook, "the CJS build is its own module");
    });

    test("the node ESM, node CJS and browser builds export the same names, all declared in index.d.ts", async () => {
      const esm = Object.keys(await import("../dist/node.mjs")).sort();
      const cjs = Object.keys(require("../dist/node.cjs")).sort();
      const browser = Object.keys(await import("../dist/browser.mjs")).sort();
      assert.deepEqual(cjs, esm);
      assert.deepEqual(browser, esm);
      const dts = readFileSync(new URL("../index.d.ts", import.meta.url), "utf8");
      const declared = [...new Set([...dts.matchAll(/export declare (?:class|function|const) (\w+)/g)].map((m) => m[1]))].sort(); // overloads declare a name twice
      assert.deepEqual(declared, esm);
    });
  });
}
