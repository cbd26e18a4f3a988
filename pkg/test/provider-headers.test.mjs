// The header names providers really send, checked with the providers' own libraries: Svix's
// default `svix-id`/`svix-timestamp`/`svix-signature` (the `svix` package signs) for the "svix"
// and "standard-webhooks" schemes, and Shopify's unprefixed `shopify-hmac-sha256` (sent with
// `shopify-topic`, `shopify-webhook-id`, …; `@shopify/shopify-api` validates) beside the classic
// `X-Shopify-Hmac-Sha256`. Every adapter is covered: verify, createVerifier, verifyRequest,
// expressVerifier.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import "@shopify/shopify-api/adapters/web-api";
import { shopifyApi } from "@shopify/shopify-api";

const require = createRequire(import.meta.url);
const { Webhook: SvixWebhook } = await import("svix");
const express = await import("express").then((m) => m.default, () => undefined);

const builds = [
  ["node ESM", await import("../dist/node.mjs")],
  ["node CJS", require("../dist/node.cjs")],
  ["browser", await import("../dist/browser.mjs")],
];

const SVIX_SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const SHOPIFY_SECRET = `shpss_${randomBytes(16).toString("hex")}`;
const shopify = shopifyApi({
  apiKey: "formhook-test",
  apiSecretKey: SHOPIFY_SECRET,
  scopes: [],
  hostName: "example.com",
  apiVersion: "2025-01",
  isEmbeddedApp: false,
  logger: { level: 0 },
});

const body = JSON.stringify({ id: randomBytes(4).readUInt32LE(0), email: "ada@example.com", note: "é€😀" });

function svixHeaders(payload = body) {
  const id = `msg_${randomBytes(8).toString("hex")}`;
  const date = new Date();
  const signature = new SvixWebhook(SVIX_SECRET).sign(id, date, payload);
  return { "svix-id": id, "svix-timestamp": String(Math.floor(date.getTime() / 1000)), "svix-signature": signature };
}

/** Shopify's headers for a body, both forms, with the HMAC value `hmac`. */
function shopifyHeaders(hmac, form) {
  if (form === "unprefixed") {
    return { "shopify-hmac-sha256": hmac, "shopify-topic": "orders/create", "shopify-shop-domain": "s.myshopify.com", "shopify-api-version": "2025-01", "shopify-webhook-id": "w1", "shopify-handle": "h", "shopify-action": "create", "shopify-triggered-at": "2025-01-01T00:00:00Z" };
  }
  return { "X-Shopify-Hmac-Sha256": hmac, "X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": "s.myshopify.com", "X-Shopify-API-Version": "2025-01", "X-Shopify-Webhook-Id": "w1" };
}

async function shopifyAccepts(headers, payload = body) {
  const rawRequest = new Request("https://example.com/hook", { method: "POST", headers, body: payload });
  return (await shopify.webhooks.validate({ rawBody: payload, rawRequest })).valid;
}

const isCode = (api, code) => (e) => e instanceof api.WebhookVerificationError && e.code === code;

async function throughExpress(api, scheme, secret, headers, payload) {
  const app = express();
  app.post("/hook", express.raw({ type: "*/*" }), api.expressVerifier(scheme, secret), (req, res) => res.json({ ok: true }));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${server.address().port}/hook`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: payload });
    return [res.status, (await res.json()).error?.code];
  } finally {
    server.close();
  }
}

for (const [name, api] of builds) {
  describe(`${name}: svix-* headers, signed by the svix package`, () => {
    for (const scheme of ["svix", "standard-webhooks"]) {
      test(`verify / createVerifier / verifyRequest with "${scheme}"`, async () => {
        const headers = svixHeaders();
        assert.equal(api.verify(scheme, SVIX_SECRET, body, headers), true);
        assert.equal(api.createVerifier(scheme, [SVIX_SECRET]).verify(Buffer.from(body), new Headers(headers)), true);
        const request = new Request("https://example.com/hook", { method: "POST", headers, body });
        assert.deepEqual((await api.verifyRequest(request, scheme, SVIX_SECRET)).data, JSON.parse(body));
        const tampered = body.replace("ada", "eve");
        assert.throws(() => api.verify(scheme, SVIX_SECRET, tampered, headers), isCode(api, "no_matching_signature"));
        const { "svix-id": _, ...withoutId } = headers;
        assert.throws(() => api.verify(scheme, SVIX_SECRET, body, withoutId), isCode(api, "missing_headers"));
      });
    }

    test('expressVerifier("svix")', { skip: !express && "express is not installed" }, async () => {
      assert.deepEqual(await throughExpress(api, "svix", SVIX_SECRET, svixHeaders(), body), [200, undefined]);
      assert.deepEqual(await throughExpress(api, "svix", SVIX_SECRET, svixHeaders(body.replace("ada", "eve")), body), [400, "no_matching_signature"]);
    });
  });

  describe(`${name}: Shopify headers, checked by @shopify/shopify-api`, () => {
    for (const form of ["unprefixed", "X-prefixed"]) {
      test(`${form}: formhook's signature is what Shopify's validator accepts, and formhook verifies it`, async () => {
        const hmac = api.sign("shopify", SHOPIFY_SECRET, { payload: body })["x-shopify-hmac-sha256"];
        const headers = shopifyHeaders(hmac, form);
        assert.equal(await shopifyAccepts(headers), true, "Shopify's own validator accepts the header set");
        assert.equal(api.verify("shopify", SHOPIFY_SECRET, body, headers), true);
        assert.equal(api.createVerifier("shopify", SHOPIFY_SECRET).verify(Buffer.from(body), new Headers(headers)), true);
        const request = new Request("https://example.com/hook", { method: "POST", headers, body });
        assert.deepEqual((await api.verifyRequest(request, "shopify", SHOPIFY_SECRET)).data, JSON.parse(body));

        const forged = shopifyHeaders(api.sign("shopify", "another secret", { payload: body })["x-shopify-hmac-sha256"], form);
        assert.equal(await shopifyAccepts(forged), false, "Shopify's validator refuses a forged one");
        assert.throws(() => api.verify("shopify", SHOPIFY_SECRET, body, forged), isCode(api, "no_matching_signature"));
      });
    }

    test("expressVerifier(\"shopify\") with the unprefixed header", { skip: !express && "express is not installed" }, async () => {
      const hmac = api.sign("shopify", SHOPIFY_SECRET, { payload: body })["x-shopify-hmac-sha256"];
      assert.deepEqual(await throughExpress(api, "shopify", SHOPIFY_SECRET, shopifyHeaders(hmac, "unprefixed"), body), [200, undefined]);
      assert.deepEqual(await throughExpress(api, "shopify", SHOPIFY_SECRET, shopifyHeaders(hmac, "unprefixed"), body.replace("ada", "eve")), [400, "no_matching_signature"]);
    });

    test("a custom header option reads only that header", () => {
      const hmac = api.sign("shopify", SHOPIFY_SECRET, { payload: body })["x-shopify-hmac-sha256"];
      assert.throws(() => api.verify("shopify", SHOPIFY_SECRET, body, shopifyHeaders(hmac, "unprefixed"), { header: "x-my-hmac" }), isCode(api, "missing_headers"));
      assert.equal(api.verify("shopify", SHOPIFY_SECRET, body, { "x-my-hmac": hmac }, { header: "x-my-hmac" }), true);
    });
  });
}
