// The raw-body adapters in real servers on 127.0.0.1: node:http (verifyNodeRequest,
// nextPagesVerifier, which is what a Next.js Pages Router route runs on), Hono, Koa and Fastify.
// For each: a signed delivery reaches the handler with the bytes as sent, a tampered one gets
// 400, a repeat gets 200 duplicate without the handler, copies arriving while the handler runs
// get 409 duplicate_in_progress with Retry-After (never 200), a failing handler releases its id,
// and bodies over the limit or already parsed get their own codes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { serve } from "@hono/node-server";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa from "koa";
import * as api from "../dist/node.mjs";

const secret = api.generateSecret();
const randomId = () => `msg_${randomBytes(12).toString("base64url")}`;

function signedDelivery(id = randomId(), payload = JSON.stringify({ type: "form.submission.created", note: "Zoë" })) {
  return { id, body: payload, headers: { "content-type": "application/json", ...api.sign("standard-webhooks", [secret], { id, payload }) } };
}

async function post(url, { body, headers }) {
  const response = await fetch(url, { method: "POST", body, headers });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, body: json, retryAfter: response.headers.get("retry-after") };
}

/** Sends a copy as a sender would: again after a 409, at most 100 times. */
async function postRetrying(url, message) {
  for (let attempt = 0; ; attempt++) {
    const answer = await post(url, message);
    if (answer.status !== 409 || attempt === 100) return answer;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const PARALLEL = 50;

/**
 * Slow handlers wait on the gate. Every copy either enters the handler or gets an answer without
 * it; once all `expected` did, the gate opens: every other copy was answered while the handled
 * one was in progress, with no timing assumption (and two copies entering would both get through).
 */
function gate(expected) {
  let count = 0;
  let open;
  const opened = new Promise((resolve) => (open = resolve));
  const arrived = () => {
    if (++count === expected) open();
  };
  return { arrived, enter: () => (arrived(), opened) };
}

async function listenNode(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))) };
}

/** Polls until `check()` is true: a released id is deleted just after the answer went out. */
async function eventually(check, what) {
  // Generous: a loaded CI machine may take seconds to run the release.
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(what);
}

/**
 * The behaviour every adapter shares, against `url` whose routes are: /ok (answers the payload's
 * type and the received byte count), /slow (like /ok once `slow.gate` opens), /fail (answers 500
 * the first time per id), /throw (throws).
 */
function sharedBehaviour(name, start) {
  describe(name, () => {
    let server;
    let store;
    let handled;
    let released;
    const slow = { gate: undefined };
    before(async () => {
      const memory = api.memoryStore();
      released = [];
      // The real memory store, with its release() calls recorded.
      store = {
        claim: (id, lease, token) => memory.claim(id, lease, token),
        complete: (id, ttl, token) => memory.complete(id, ttl, token),
        release: (id, token) => {
          released.push(id);
          memory.release(id, token);
        },
        get size() {
          return memory.size;
        },
      };
      handled = [];
      server = await start({ store, handled, slow });
    });
    after(() => server?.close());

    test("a signed delivery reaches the handler with its bytes; a repeat gets 200 duplicate", async () => {
      const message = signedDelivery();
      const first = await post(`${server.url}/ok`, message);
      assert.deepEqual(first, { status: 200, body: { type: "form.submission.created", bytes: Buffer.byteLength(message.body) }, retryAfter: null });
      const repeat = await postRetrying(`${server.url}/ok`, message);
      assert.deepEqual(repeat, { status: 200, body: { ok: true, duplicate: true, id: message.id }, retryAfter: null });
      assert.deepEqual(handled, [message.id]);
    });

    test(`${PARALLEL} parallel copies while the handler is slow: one handled, the others 409 with Retry-After, none 200`, async () => {
      const message = signedDelivery();
      const copies = gate(PARALLEL);
      slow.gate = copies;
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, () =>
          post(`${server.url}/slow`, message).then((answer) => {
            if (answer.body.type === undefined) copies.arrived();
            return answer;
          }),
        ),
      );
      const handledAnswers = answers.filter((a) => a.status === 200 && a.body.type === "form.submission.created");
      assert.equal(handledAnswers.length, 1, "exactly one copy is handled");
      for (const answer of answers.filter((a) => a !== handledAnswers[0])) {
        assert.deepEqual(answer.status, 409, JSON.stringify(answer));
        assert.equal(answer.retryAfter, "5");
        assert.equal(answer.body.error.code, "duplicate_in_progress");
        assert.equal(answer.body.id, message.id);
      }
      assert.deepEqual(handled.filter((h) => h === message.id), [message.id]);
      const after = await postRetrying(`${server.url}/slow`, message);
      assert.deepEqual(after.body, { ok: true, duplicate: true, id: message.id }, "after success: 200 duplicate");
    });

    test("tampered and unsigned deliveries get 400 with a code and never reach the store", async () => {
      const message = signedDelivery();
      const sizeBefore = store.size;
      const tampered = await post(`${server.url}/ok`, { ...message, body: message.body.replace("Zoë", "Zoe") });
      assert.equal(tampered.status, 400);
      assert.equal(tampered.body.error.code, "no_matching_signature");
      const unsigned = await post(`${server.url}/ok`, { body: message.body, headers: { "content-type": "application/json" } });
      assert.equal(unsigned.status, 400);
      assert.equal(unsigned.body.error.code, "missing_headers");
      assert.equal(store.size, sizeBefore);
    });

    test("a handler answering 500 releases the id: the retry is handled", async () => {
      const message = signedDelivery();
      assert.equal((await post(`${server.url}/fail`, message)).status, 500);
      await eventually(() => released.includes(message.id), "the id was not released");
      const retry = await post(`${server.url}/fail`, message);
      assert.equal(retry.status, 200);
      assert.equal(retry.body.type, "form.submission.created");
      assert.equal((await postRetrying(`${server.url}/fail`, message)).body.duplicate, true, "handled, so now a duplicate");
    });

    test("a handler that throws releases the id", async () => {
      const message = signedDelivery();
      const answer = await post(`${server.url}/throw`, message);
      assert.equal(answer.status, 500);
      await eventually(() => released.includes(message.id), "the id was not released");
      const retry = await post(`${server.url}/ok`, message);
      assert.equal(retry.status, 200);
      assert.equal(retry.body.type, "form.submission.created", "after release the retry is handled");
    });

    test("a body over the limit gets 413 body_too_large", async () => {
      const big = signedDelivery(randomId(), JSON.stringify({ type: "x", pad: "a".repeat(5000) }));
      const answer = await post(`${server.url}/ok`, big);
      assert.equal(answer.status, 413);
      // Fastify enforces the limit itself (its body parser's bodyLimit) and answers in its own shape.
      const code = name === "Fastify plugin" ? answer.body.code : answer.body.error.code;
      assert.equal(code, name === "Fastify plugin" ? "FST_ERR_CTP_BODY_TOO_LARGE" : "body_too_large");
    });
  });
}

const LIMIT = 4096;

sharedBehaviour("node:http with nextPagesVerifier (the Next.js Pages Router shape)", async ({ store, handled, slow }) => {
  const wrap = api.nextPagesVerifier("standard-webhooks", [secret], { dedupe: store, limit: LIMIT });
  const ok = (req, res) => {
    handled.push(req.webhookId);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ type: req.webhook.type, bytes: req.webhookPayload.length }));
  };
  const routes = {
    "/ok": wrap(ok),
    "/slow": wrap(async (req, res) => {
      await slow.gate.enter();
      ok(req, res);
    }),
    "/fail": wrap((req, res) => {
      res.statusCode = failedOnce(req.webhookId) ? 200 : 500;
      res.end(JSON.stringify({ type: req.webhook.type }));
    }),
    "/throw": wrap(() => {
      throw new Error("handler bug");
    }),
  };
  return listenNode(async (req, res) => {
    try {
      await routes[req.url](req, res);
    } catch {
      // What Next.js does with a throwing API route.
      res.statusCode = 500;
      res.end("{}");
    }
  });
});

const failed = new Set();
function failedOnce(id) {
  if (failed.has(id)) return true;
  failed.add(id);
  return false;
}

sharedBehaviour("Hono middleware", async ({ store, handled, slow }) => {
  const verify = api.honoVerifier("standard-webhooks", [secret], { dedupe: store, limit: LIMIT });
  const app = new Hono();
  const ok = (c) => {
    handled.push(c.get("webhookId"));
    return c.json({ type: c.get("webhook").type, bytes: c.get("webhookPayload").length });
  };
  app.post("/ok", verify, ok);
  app.post("/slow", verify, async (c) => {
    await slow.gate.enter();
    return ok(c);
  });
  app.post("/fail", verify, (c) => c.json({ type: c.get("webhook").type }, failedOnce(c.get("webhookId")) ? 200 : 500));
  app.post("/throw", verify, () => {
    throw new Error("handler bug");
  });
  app.onError((e, c) => c.json({ error: e.message }, 500));
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((r) => (server.listening ? r() : server.once("listening", r)));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => (server.closeAllConnections?.(), server.close(r))) };
});

sharedBehaviour("Koa middleware", async ({ store, handled, slow }) => {
  const verify = api.koaVerifier("standard-webhooks", [secret], { dedupe: store, limit: LIMIT });
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch {
      ctx.status = 500;
      ctx.body = { error: "handler bug" };
    }
  });
  app.use(async (ctx, next) => {
    if (ctx.method !== "POST") return next();
    await verify(ctx, async () => {
      if (ctx.path === "/throw") throw new Error("handler bug");
      if (ctx.path === "/slow") await slow.gate.enter();
      if (ctx.path === "/fail") {
        ctx.status = failedOnce(ctx.state.webhookId) ? 200 : 500;
        ctx.body = { type: ctx.state.webhook.type };
        return;
      }
      handled.push(ctx.state.webhookId);
      ctx.body = { type: ctx.state.webhook.type, bytes: ctx.state.webhookPayload.length };
    });
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))) };
});

sharedBehaviour("Fastify plugin", async ({ store, handled, slow }) => {
  const app = Fastify();
  app.register(async (scope) => {
    await scope.register(api.fastifyVerifier, { scheme: "standard-webhooks", secrets: [secret], dedupe: store, limit: LIMIT });
    const ok = async (request) => {
      handled.push(request.webhookId);
      return { type: request.webhook.type, bytes: request.body.length };
    };
    scope.post("/ok", ok);
    scope.post("/slow", async (request) => {
      await slow.gate.enter();
      return ok(request);
    });
    scope.post("/fail", async (request, reply) => reply.code(failedOnce(request.webhookId) ? 200 : 500).send({ type: request.webhook.type }));
    scope.post("/throw", async () => {
      throw new Error("handler bug");
    });
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, close: () => app.close() };
});

describe("verifyNodeRequest and bodies a parser already took", () => {
  test("verifyNodeRequest on node:http: data, id, complete; a copy in progress throws WebhookInProgressError, a repeat WebhookDuplicateError", async () => {
    const store = api.memoryStore();
    const claims = [];
    const server = await listenNode(async (req, res) => {
      try {
        const received = await api.verifyNodeRequest(req, "standard-webhooks", [secret], { dedupe: store });
        claims.push(received); // completed by the test, as a handler would once its work is done
        res.end(JSON.stringify({ type: received.data.type, id: received.id }));
      } catch (e) {
        res.statusCode = e.code === "duplicate" ? 200 : e.code === "duplicate_in_progress" ? 409 : 401;
        if (e instanceof api.WebhookInProgressError) res.setHeader("retry-after", String(e.retryAfter));
        res.end(JSON.stringify({ code: e.code, duplicate: e instanceof api.WebhookDuplicateError }));
      }
    });
    try {
      const message = signedDelivery();
      assert.deepEqual(await post(server.url, message), { status: 200, body: { type: "form.submission.created", id: message.id }, retryAfter: null });
      assert.deepEqual(await post(server.url, message), { status: 409, body: { code: "duplicate_in_progress", duplicate: false }, retryAfter: "5" });
      await claims[0].complete();
      assert.deepEqual(await post(server.url, message), { status: 200, body: { code: "duplicate", duplicate: true }, retryAfter: null });
      assert.deepEqual(await post(server.url, { ...message, body: message.body + " " }), { status: 401, body: { code: "no_matching_signature", duplicate: false }, retryAfter: null });
    } finally {
      await server.close();
    }
  });

  test("a body already parsed (Next.js with its body parser on) is 500 body_not_raw; bytes already read are used", async () => {
    const wrap = api.nextPagesVerifier("standard-webhooks", [secret]);
    const handler = wrap((req, res) => res.end(JSON.stringify({ type: req.webhook.type })));
    const server = await listenNode(async (req, res) => {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const raw = Buffer.concat(chunks);
      // As a body parser would leave it: an object, or the untouched bytes.
      req.body = req.headers["x-parse"] === "json" ? JSON.parse(raw) : raw;
      await handler(req, res);
    });
    try {
      const message = signedDelivery();
      const parsed = await post(server.url, { ...message, headers: { ...message.headers, "x-parse": "json" } });
      assert.equal(parsed.status, 500);
      assert.equal(parsed.body.error.code, "body_not_raw");
      const bytes = await post(server.url, message);
      assert.deepEqual(bytes, { status: 200, body: { type: "form.submission.created" }, retryAfter: null });
    } finally {
      await server.close();
    }
  });

  test("a bad limit is a FormhookError", () => {
    for (const limit of [0, -1, 1.5]) {
      assert.throws(() => api.koaVerifier("github", "s", { limit }), (e) => e instanceof api.FormhookError && e.code === "invalid_limit");
    }
  });
});
