// Standard Webhooks v1a (ed25519) in the npm package: the shared vectors (computed with
// node:crypto's Ed25519, tests/vectors/ed25519.json), round trips checked by node:crypto, mixed key
// sets, the adapters, and which build loads the ed25519 wasm.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey, randomBytes, sign as cryptoSign, verify as cryptoVerify } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { inspect } from "node:util";

const require = createRequire(import.meta.url);
const VECTORS = JSON.parse(readFileSync(new URL("../../tests/vectors/ed25519.json", import.meta.url), "utf8"));
const WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const express = await import("express").then((m) => m.default, () => undefined);

const builds = [
  ["node ESM (dist/node.mjs, ed25519 wasm loaded on first use)", await import("../dist/node.mjs")],
  ["node CJS (dist/node.cjs, ed25519 wasm loaded on first use)", require("../dist/node.cjs")],
  ["formhook/ed25519 browser build (dist/ed25519-browser.mjs)", await import("../dist/ed25519-browser.mjs")],
];

const publicKeyOf = (whpk) => createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(whpk.slice(5), "base64").toString("base64url") }, format: "jwk" });
const privateKeyOfSeed = (seed) => createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
const signedContent = (id, ts, body) => Buffer.concat([Buffer.from(`${id}.${ts}.`), Buffer.from(body)]);
const now = () => Math.floor(Date.now() / 1000);

function errorWith(ErrorClass, code) {
  return (e) => {
    assert.ok(e instanceof ErrorClass, `expected ${ErrorClass.name}(${code}), got ${e?.name}: ${e?.message}`);
    assert.equal(e.code, code);
    return true;
  };
}

for (const [name, api] of builds) {
  describe(`${name}: v1a vectors (tests/vectors/ed25519.json)`, () => {
    test("the vector file covers every kind of case", () => {
      const comments = VECTORS.tests.map((t) => t.comment).join("\n");
      for (const word of ["whpk_", "64 bytes", "32 bytes", "tampered", "wrong public key", "mixed", "malformed", "another seed"]) {
        assert.ok(comments.includes(word), `no vector mentions ${word}`);
      }
    });
    for (const v of VECTORS.tests) {
      test(`#${v.tcId}: ${v.comment} → ${v.result}${v.error ? ` (${v.error})` : ""}`, () => {
        const options = { now: v.now };
        if (v.error?.startsWith("key_")) {
          assert.throws(() => new api.Webhook(v.secrets), errorWith(api.FormhookError, v.error));
          assert.throws(() => api.createVerifier("standard-webhooks", v.secrets), errorWith(api.FormhookError, v.error));
          return;
        }
        const webhook = new api.Webhook(v.secrets);
        for (const scheme of ["standard-webhooks", "svix"]) {
          if (v.result === "valid") {
            assert.equal(api.verify(scheme, v.secrets, v.payload, v.headers, options), true);
            assert.equal(api.createVerifier(scheme, v.secrets).verify(Buffer.from(v.payload), v.headers, options), true);
          } else {
            assert.throws(() => api.verify(scheme, v.secrets, v.payload, v.headers, options), errorWith(api.WebhookVerificationError, v.error));
          }
        }
        if (v.result === "valid") assert.deepEqual(webhook.verify(v.payload, v.headers, options), JSON.parse(v.payload));
        else assert.throws(() => webhook.verify(v.payload, v.headers, options), errorWith(api.WebhookVerificationError, v.error));
        if (v.sign) {
          assert.equal(webhook.sign(v.sign.msgId, v.sign.timestamp, v.payload), v.headers["webhook-signature"]);
          assert.deepEqual(api.sign("standard-webhooks", v.secrets, { id: v.sign.msgId, timestamp: v.sign.timestamp, payload: Buffer.from(v.payload) }), v.headers);
        }
      });
    }
  });

  describe(`${name}: v1a against node:crypto's Ed25519`, () => {
    test("generateKeyPair: formhook signs, node:crypto verifies with the public key alone", () => {
      const { secretKey, publicKey } = api.generateKeyPair();
      assert.match(secretKey, /^whsk_[A-Za-z0-9+/]{86}==$/);
      assert.match(publicKey, /^whpk_[A-Za-z0-9+/]{43}=$/);
      assert.notEqual(api.generateKeyPair().publicKey, publicKey, "two key pairs differ");
      const id = `msg_${randomBytes(8).toString("hex")}`;
      const ts = now();
      const body = Buffer.concat([Buffer.from('{"bytes":"'), randomBytes(700), Buffer.from('"}')]); // not UTF-8
      const header = new api.Webhook(secretKey).sign(id, ts, body);
      assert.match(header, /^v1a,[A-Za-z0-9+/]{86}==$/);
      const signature = Buffer.from(header.slice(4), "base64");
      assert.equal(cryptoVerify(null, signedContent(id, ts, body), publicKeyOf(publicKey), signature), true);
      body[20] ^= 1;
      assert.equal(cryptoVerify(null, signedContent(id, ts, body), publicKeyOf(publicKey), signature), false);
    });

    test("node:crypto signs (32-byte whsk_ seed), formhook verifies with whpk_, and both agree on tampering", () => {
      const seed = randomBytes(32);
      const privateKey = privateKeyOfSeed(seed);
      const publicRaw = Buffer.from(createPublicKey(privateKey).export({ format: "jwk" }).x, "base64url");
      const whpk = `whpk_${publicRaw.toString("base64")}`;
      const whsk = `whsk_${seed.toString("base64")}`;
      for (let i = 0; i < 20; i++) {
        const id = `msg_${i}`;
        const ts = now();
        const body = randomBytes(1 + i * 50);
        const sig = `v1a,${cryptoSign(null, signedContent(id, ts, body), privateKey).toString("base64")}`;
        const headers = { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": sig };
        assert.equal(new api.Webhook(whpk).verify(body, headers, { jsonParse: false }), undefined);
        assert.equal(new api.Webhook(whsk).sign(id, ts, body), sig, "ed25519 is deterministic: same signature");
        const tampered = Buffer.from(body);
        tampered[tampered.length - 1] ^= 0x80;
        assert.throws(() => new api.Webhook(whpk).verify(tampered, headers), errorWith(api.WebhookVerificationError, "no_matching_signature"));
      }
    });
  });

  describe(`${name}: key sets and adapters`, () => {
    const { secretKey, publicKey } = api.generateKeyPair();
    const id = "msg_mixed";
    const body = JSON.stringify({ type: "form.submission.created", data: { email: "ada@example.com" } });
    const signedBy = (keys) => {
      const ts = now();
      return { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": new api.Webhook(keys).sign(id, ts, body) };
    };

    test("a sender with whsec_ and whsk_ writes v1 then v1a; receivers holding either kind verify", () => {
      const headers = signedBy([WHSEC, secretKey]);
      assert.match(headers["webhook-signature"], /^v1,\S+ v1a,\S+$/);
      for (const keys of [[WHSEC], [publicKey], [publicKey, WHSEC], [WHSEC, publicKey], secretKey]) {
        assert.equal(api.verify("standard-webhooks", keys, body, headers), true, String(keys));
        assert.deepEqual(new api.Webhook(keys).verify(body, headers), JSON.parse(body));
      }
      const other = api.generateKeyPair().publicKey;
      assert.throws(() => api.verify("standard-webhooks", [other, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"], body, headers), errorWith(api.WebhookVerificationError, "no_matching_signature"));
    });

    test("a public key cannot sign; a whpk_ is just a secret for the other schemes", () => {
      assert.throws(() => new api.Webhook(publicKey).sign(id, now(), body), errorWith(api.FormhookError, "key_public_cannot_sign"));
      assert.throws(() => api.sign("standard-webhooks", [WHSEC, publicKey], { id, payload: body }), errorWith(api.FormhookError, "key_public_cannot_sign"));
      const github = api.sign("github", publicKey, { payload: body });
      assert.equal(api.verify("github", publicKey, body, github), true);
    });

    test("secret keys do not show in inspect()", () => {
      const shown = inspect(new api.Webhook(secretKey), { showHidden: true, depth: 5 });
      assert.ok(!shown.includes(secretKey.slice(5, 20)), shown);
    });

    test("verifyRequest takes whpk_ keys, alone or mixed", async () => {
      const headers = signedBy([secretKey]);
      const request = () => new Request("https://example.com/hook", { method: "POST", headers, body });
      assert.deepEqual((await api.verifyRequest(request(), "standard-webhooks", publicKey)).data, JSON.parse(body));
      assert.deepEqual((await api.verifyRequest(request(), "svix", [WHSEC, publicKey])).data, JSON.parse(body));
      assert.deepEqual((await api.verifyRequest(request(), new api.Webhook([publicKey]))).data, JSON.parse(body));
      await assert.rejects(api.verifyRequest(request(), "standard-webhooks", api.generateKeyPair().publicKey), errorWith(api.WebhookVerificationError, "no_matching_signature"));
    });

    test("expressVerifier takes whpk_ keys", { skip: !express && "express is not installed" }, async () => {
      const app = express();
      app.post("/hook", express.raw({ type: "*/*" }), api.expressVerifier("standard-webhooks", [WHSEC, publicKey]), (req, res) => res.json({ ok: true, type: req.webhook.type }));
      const server = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      try {
        const url = `http://127.0.0.1:${server.address().port}/hook`;
        const good = await fetch(url, { method: "POST", headers: { ...signedBy([secretKey]), "content-type": "application/json" }, body });
        assert.deepEqual([good.status, await good.json()], [200, { ok: true, type: "form.submission.created" }]);
        const forged = signedBy([api.generateKeyPair().secretKey]);
        const bad = await fetch(url, { method: "POST", headers: { ...forged, "content-type": "application/json" }, body });
        assert.equal(bad.status, 400);
        assert.equal((await bad.json()).error.code, "no_matching_signature");
      } finally {
        server.close();
      }
    });
  });
}

describe("which build loads the ed25519 wasm", () => {
  test("the HMAC-only browser build refuses whpk_/whsk_ keys with a pointer to formhook/ed25519", async () => {
    const api = await import("../dist/browser.mjs");
    const { publicKey, secretKey } = builds[0][1].generateKeyPair();
    for (const key of [publicKey, secretKey, [WHSEC, publicKey]]) {
      const e = (() => { try { new api.Webhook(key); } catch (err) { return err; } })();
      assert.ok(e instanceof api.FormhookError, String(e));
      assert.equal(e.code, "key_ed25519_unsupported");
      assert.match(e.message, /formhook\/ed25519/);
    }
    assert.throws(() => api.generateKeyPair(), errorWith(api.FormhookError, "key_ed25519_unsupported"));
    const v = VECTORS.tests.find((t) => t.comment.startsWith("mixed header, HMAC secret only"));
    assert.equal(api.verify("standard-webhooks", v.secrets, v.payload, v.headers, { now: v.now }), true, "a mixed header still verifies with an HMAC secret");
  });

  test("Node reads formhook_ed25519_bg.wasm only when a whpk_/whsk_ key is first used", () => {
    const v = VECTORS.tests.find((t) => t.comment.startsWith("whpk_ public key verifies"));
    const script = `
      const fs = require("node:fs");
      const read = fs.readFileSync;
      const seen = [];
      fs.readFileSync = (p, ...rest) => { seen.push(String(p)); return read(p, ...rest); };
      require("node:module").syncBuiltinESMExports();
      const loaded = () => seen.filter((p) => p.includes("formhook_")).map((p) => p.replace(/.*\\//, ""));
      const v = ${JSON.stringify(v)};
      import(${JSON.stringify(new URL("../dist/node.mjs", import.meta.url).href)}).then((api) => {
        const a = loaded();
        api.verify("github", "s", "x", api.sign("github", "s", { payload: "x" }));
        new api.Webhook("${WHSEC}");
        const b = loaded();
        api.verify("standard-webhooks", v.secrets, v.payload, v.headers, { now: v.now });
        new api.Webhook(v.secrets);
        console.log(JSON.stringify([a, b, loaded()]));
      });`;
    const [atImport, afterHmac, afterEd25519] = JSON.parse(execFileSync(process.execPath, ["-e", script]).toString());
    assert.deepEqual(atImport, ["formhook_wasm_bg.wasm"]);
    assert.deepEqual(afterHmac, ["formhook_wasm_bg.wasm"]);
    assert.deepEqual(afterEd25519, ["formhook_wasm_bg.wasm", "formhook_ed25519_bg.wasm"], "loaded once, on first use");
  });
});
