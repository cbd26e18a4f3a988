// Deduplication: the stores (memory with an injected clock; Redis through a real redis-server
// started on a free port, with both the `redis` and `ioredis` clients), the `dedupe` option of
// verifyRequest and expressVerifier, and the three states of an id: a copy of an id in progress
// gets a retryable 409 (50 parallel copies while the handler is slow: one handled, none 200), a
// copy of a handled id 200 duplicate, a failed or crashed (lease expired) first attempt lets the
// next copy through. A request failing verification never reaches the store.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { createServer as netServer } from "node:net";
import { createRequire } from "node:module";
import express from "express";
import * as esm from "../dist/node.mjs";
import * as browser from "../dist/browser.mjs";

const require = createRequire(import.meta.url);
const cjs = require("../dist/node.cjs");
const { createClient } = require("redis");
const { Redis: IORedis } = require("ioredis");

const PARALLEL = 50;
const randomId = () => `msg_${randomBytes(12).toString("base64url")}`;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = netServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A real redis-server on a free port, without persistence; stopped by `stop()`. */
async function startRedis() {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 20_000);
    const check = () => {
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise((resolve) => {
        child.removeAllListeners("exit");
        if (child.exitCode !== null) return resolve();
        child.once("exit", resolve);
        child.kill("SIGTERM");
      }),
  };
}

/** Wraps a store to count calls: the store itself stays real. */
function counting(store) {
  const calls = { claim: 0, complete: 0, release: 0 };
  return {
    calls,
    claim: (id, lease, token) => {
      calls.claim++;
      return store.claim(id, lease, token);
    },
    complete: (id, ttl, token) => {
      calls.complete++;
      return store.complete(id, ttl, token);
    },
    release: (id, token) => {
      calls.release++;
      return store.release(id, token);
    },
  };
}

async function listen(app) {
  const server = createServer(app);
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A gate for slow handlers: `/slow` handlers wait on it. Every copy of a delivery either enters
 * the handler or gets an answer without it; once all `expected` did one or the other, the gate
 * opens. So every copy but the handled one is answered while that one is still in progress,
 * without any timing assumption; and should two copies enter, both still get through.
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

/**
 * An express app whose handlers count what they process: /hook answers at once, /slow waits for
 * `app.gate` (see gate()), /fail answers 500 the first time it sees each id (as a handler whose
 * database was down would), /throw throws.
 */
function countingApp(api, secret, dedupe) {
  const handled = [];
  const failedOnce = new Set();
  const app = express();
  const state = { gate: undefined };
  const verify = api.expressVerifier("standard-webhooks", [secret], { dedupe });
  app.post("/hook", express.raw({ type: "*/*" }), verify, (req, res) => {
    handled.push(req.webhookId);
    res.json({ ok: true, handled: true });
  });
  app.post("/slow", express.raw({ type: "*/*" }), verify, async (req, res) => {
    await state.gate.enter();
    handled.push(req.webhookId);
    res.json({ ok: true, handled: true });
  });
  app.post("/fail", express.raw({ type: "*/*" }), verify, (req, res) => {
    if (!failedOnce.has(req.webhookId)) {
      failedOnce.add(req.webhookId);
      return res.status(500).json({ error: "database down" });
    }
    handled.push(req.webhookId);
    res.json({ ok: true, handled: true });
  });
  app.post("/throw", express.raw({ type: "*/*" }), verify, () => {
    throw new Error("handler bug");
  });
  // Express's default handler would print the stack; the status is what the test reads.
  app.use((error, req, res, next) => res.status(500).json({ error: error.message }));
  return { app, handled, state };
}

function delivery(api, secret, id, payload = JSON.stringify({ type: "form.submission.created", id })) {
  return { body: payload, headers: { "content-type": "application/json", ...api.sign("standard-webhooks", [secret], { id, payload }) } };
}

async function post(url, { body, headers }) {
  const response = await fetch(url, { method: "POST", body, headers });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.json() };
}

/**
 * Sends a copy as a sender would: again after a 409 (Express and Fastify mark the id handled when
 * the response closes, just after the client has the answer), at most 100 times.
 */
async function postRetrying(url, message) {
  for (let attempt = 0; ; attempt++) {
    const answer = await post(url, message);
    if (answer.status !== 409 || attempt === 100) return answer;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A 409 for a copy whose id is in progress: retryable, with Retry-After and a stable code. */
function assertInProgress(answer, id) {
  assert.equal(answer.status, 409, JSON.stringify(answer));
  assert.equal(answer.retryAfter, "5");
  assert.equal(answer.body.error.code, "duplicate_in_progress");
  assert.equal(answer.body.id, id);
}

/**
 * Sends `PARALLEL` copies of one signed delivery at once to `/slow` on `apps` (round robin) while
 * the handler waits: exactly one is handled, every other copy gets 409 (none 200). A copy sent
 * after the handled one succeeded gets 200 duplicate.
 */
async function assertOneHandledRestRetry(apps, api, secret) {
  const id = randomId();
  const message = delivery(api, secret, id);
  const copies = gate(PARALLEL);
  for (const { state } of apps) state.gate = copies;
  const answers = await Promise.all(
    Array.from({ length: PARALLEL }, (_, i) =>
      post(`${apps[i % apps.length].url}/slow`, message).then((answer) => {
        if (answer.body.handled !== true) copies.arrived();
        return answer;
      }),
    ),
  );
  const handledAnswers = answers.filter((a) => a.status === 200 && a.body.handled === true);
  assert.equal(handledAnswers.length, 1, "exactly one copy is handled");
  const others = answers.filter((a) => a !== handledAnswers[0]);
  assert.equal(others.filter((a) => a.status === 200).length, 0, "no copy of an id in progress is told 200");
  for (const answer of others) assertInProgress(answer, id);
  assert.deepEqual(apps.flatMap((a) => a.handled).filter((h) => h === id), [id]);
  const after = await postRetrying(`${apps[0].url}/slow`, message);
  assert.deepEqual(after, { status: 200, retryAfter: null, body: { ok: true, duplicate: true, id } }, "after success: 200 duplicate");
}

for (const [name, api] of [["node ESM", esm], ["node CJS", cjs], ["browser", browser]]) {
  describe(`${name}: memoryStore`, () => {
    test("claim: in progress while claimed, done once completed, for the lease or TTL only", () => {
      let now = 1_000_000;
      const store = api.memoryStore({ clock: () => now });
      assert.equal(store.claim("a", 10, "t1"), "claimed");
      assert.equal(store.claim("a", 10, "t2"), "in_progress");
      assert.equal(store.claim("b", 10, "t3"), "claimed", "other ids are independent");
      store.complete("a", 60);
      assert.equal(store.claim("a", 10, "t4"), "done");
      now += 59_999;
      assert.equal(store.claim("a", 10, "t5"), "done", "still within the TTL");
      now += 1;
      assert.equal(store.claim("a", 10, "t6"), "claimed", "TTL over: claimed anew");
    });

    test("a lease that expires (a crashed handler) frees the id: the next copy is claimed", () => {
      let now = 0;
      const store = api.memoryStore({ clock: () => now });
      assert.equal(store.claim("crash", 30, "crashed"), "claimed");
      now = 29_999;
      assert.equal(store.claim("crash", 30, "retry1"), "in_progress");
      now = 30_000;
      assert.equal(store.claim("crash", 30, "retry2"), "claimed", "the lease ran out");
      assert.equal(store.claim("crash", 30, "retry3"), "in_progress", "and the new claim holds");
    });

    test("release drops only its own claim: never a handled id, never a later claim", () => {
      let now = 0;
      const store = api.memoryStore({ clock: () => now });
      store.claim("a", 10, "mine");
      store.release("a", "someone-else");
      assert.equal(store.claim("a", 10, "x"), "in_progress", "another token releases nothing");
      store.release("a", "mine");
      assert.equal(store.claim("a", 10, "next"), "claimed", "released: the retry is claimed");
      store.complete("a", 60);
      store.release("a", "next");
      store.release("a");
      assert.equal(store.claim("a", 10, "y"), "done", "a handled id is never released");
      store.claim("b", 10, "old");
      now = 10_000;
      store.claim("b", 10, "new");
      store.release("b", "old");
      assert.equal(store.claim("b", 10, "z"), "in_progress", "a late release leaves the later claim");
      store.release("b");
      assert.equal(store.claim("b", 10, "w"), "claimed", "without a token any claim is released");
    });

    test("a late complete (lease ran out, another request claimed) still records the id; that request's release keeps it", () => {
      let now = 0;
      const store = api.memoryStore({ clock: () => now });
      store.claim("slow", 10, "first");
      now = 10_000;
      assert.equal(store.claim("slow", 10, "second"), "claimed");
      store.complete("slow", 60, "first");
      store.release("slow", "second");
      assert.equal(store.claim("slow", 10, "third"), "done");
    });

    test("bounded: past `max` ids the least recently seen goes first", () => {
      const store = api.memoryStore({ max: 3 });
      for (const id of ["a", "b", "c"]) {
        assert.equal(store.claim(id), "claimed");
        store.complete(id);
      }
      assert.equal(store.claim("a"), "done"); // a is now the most recently seen
      assert.equal(store.claim("d"), "claimed"); // evicts b
      assert.equal(store.size, 3);
      assert.equal(store.claim("b"), "claimed", "b was evicted"); // evicts c
      assert.equal(store.claim("a"), "done");
      assert.equal(store.claim("d"), "in_progress");
    });

    test("under churn (10× max new ids) it holds exactly the last `max` ids", () => {
      const max = 1000;
      const store = api.memoryStore({ max });
      for (let i = 0; i < 10 * max; i++) {
        assert.equal(store.claim(`id_${i}`, 60), "claimed");
        store.complete(`id_${i}`, 60);
      }
      assert.equal(store.size, max);
      for (let i = 10 * max - 1; i >= 9 * max; i--) assert.equal(store.claim(`id_${i}`, 60), "done", `id_${i}`);
      assert.equal(store.claim(`id_${9 * max - 1}`, 60), "claimed", "the one before them was evicted");
      store.forget(`id_${9 * max - 1}`);
      for (let i = 0; i < max; i++) store.forget(`id_${9 * max + i}`);
      assert.equal(store.size, 0);
      assert.equal(store.claim("again", 60), "claimed");
      assert.equal(store.claim("again", 60), "in_progress");
    });

    test("expired ids are dropped before live ones", () => {
      let now = 0;
      const store = api.memoryStore({ max: 2, clock: () => now });
      store.complete("short", 1);
      store.complete("long", 100);
      now = 5_000;
      store.claim("new", 100);
      assert.equal(store.size, 2);
      assert.equal(store.claim("long", 100), "done", "the live id survived");
    });

    test("defaults: the TTL covers the sender's whole retry window (5 days ≥ 3 days), the lease is 60 s", () => {
      assert.equal(api.DEFAULT_DEDUPE_TTL, 5 * 24 * 3600);
      assert.equal(api.DEFAULT_DEDUPE_LEASE, 60);
      let now = 0;
      const store = api.memoryStore({ clock: () => now });
      store.claim("x");
      now = api.DEFAULT_DEDUPE_LEASE * 1000 - 1;
      assert.equal(store.claim("x"), "in_progress");
      now = api.DEFAULT_DEDUPE_LEASE * 1000;
      assert.equal(store.claim("x"), "claimed");
      store.complete("x");
      now += (api.DEFAULT_DEDUPE_TTL - 1) * 1000;
      assert.equal(store.claim("x"), "done");
    });

    test("the deprecated seen/forget still work (seen records the id as handled at once)", () => {
      const store = api.memoryStore();
      assert.equal(store.seen("old", 60), false);
      assert.equal(store.seen("old", 60), true);
      assert.equal(store.claim("old"), "done");
      store.forget("old");
      assert.equal(store.claim("old"), "claimed");
      assert.equal(store.seen("old", 60), true, "a claim counts as seen");
      store.forget("old");
      assert.equal(store.claim("old"), "claimed", "forget drops a claim too");
    });

    test("bad ids, TTLs, leases, tokens and sizes are FormhookErrors with codes", () => {
      const store = api.memoryStore();
      const isCode = (code) => (e) => e instanceof api.FormhookError && e.code === code;
      for (const id of ["", undefined, 42]) {
        assert.throws(() => store.claim(id, 60), isCode("dedupe_no_id"));
        assert.throws(() => store.complete(id, 60), isCode("dedupe_no_id"));
        assert.throws(() => store.release(id), isCode("dedupe_no_id"));
      }
      for (const seconds of [0, -1, 1.5, "60"]) {
        assert.throws(() => store.claim("a", seconds), isCode("invalid_lease"));
        assert.throws(() => store.complete("a", seconds), isCode("invalid_ttl"));
      }
      for (const token of ["", 42]) {
        assert.throws(() => store.claim("a", 60, token), isCode("invalid_token"));
        assert.throws(() => store.release("a", token), isCode("invalid_token"));
      }
      assert.throws(() => api.memoryStore({ max: 0 }), isCode("invalid_store"));
      assert.throws(() => api.redisStore({}), isCode("invalid_store"));
      assert.throws(() => api.kvStore({}), isCode("invalid_store"));
      assert.throws(() => api.durableObjectStore({}), isCode("invalid_store"));
      assert.throws(() => api.expressVerifier("github", "s", { dedupe: {} }), isCode("invalid_store"));
      assert.throws(() => api.expressVerifier("github", "s", { dedupe: { claim() {}, complete() {} } }), isCode("invalid_store"));
      assert.throws(() => api.expressVerifier("github", "s", { dedupe: { store: api.memoryStore(), ttl: 0 } }), isCode("invalid_ttl"));
      assert.throws(() => api.expressVerifier("github", "s", { dedupe: { store: api.memoryStore(), lease: 2.5 } }), isCode("invalid_lease"));
    });
  });

  describe(`${name}: verifyRequest with dedupe`, () => {
    const secret = api.generateSecret();
    const request = ({ body, headers }) => new Request("https://receiver.example/hook", { method: "POST", body, headers });
    const verify = (message, dedupe) => api.verifyRequest(request(message), "standard-webhooks", secret, { dedupe });

    test("claimed: id, complete, release; a copy in progress throws WebhookInProgressError; once complete, WebhookDuplicateError", async () => {
      const store = api.memoryStore();
      const id = randomId();
      const message = delivery(api, secret, id);
      const first = await verify(message, store);
      assert.equal(first.id, id);
      assert.equal(first.data.id, id);
      for (const fn of ["complete", "release", "forget"]) assert.equal(typeof first[fn], "function", fn);
      await assert.rejects(verify(message, store), (e) => {
        assert.ok(e instanceof api.WebhookInProgressError);
        assert.ok(!(e instanceof api.WebhookDuplicateError), "in progress is not a duplicate: the first attempt may still fail");
        assert.ok(!(e instanceof api.WebhookVerificationError));
        assert.equal(e.code, "duplicate_in_progress");
        assert.equal(e.id, id);
        assert.equal(e.retryAfter, 5);
        return true;
      });
      await first.complete();
      await assert.rejects(verify(message, store), (e) => {
        assert.ok(e instanceof api.WebhookDuplicateError);
        assert.ok(!(e instanceof api.WebhookVerificationError), "a duplicate is not a verification failure");
        assert.equal(e.code, "duplicate");
        assert.equal(e.id, id);
        return true;
      });
      await first.release();
      await assert.rejects(verify(message, store), (e) => e.code === "duplicate", "release after complete changes nothing");
    });

    test("a handler that fails and releases: the next copy is handled (forget is the old name of release)", async () => {
      const store = api.memoryStore();
      const message = delivery(api, secret, randomId());
      await (await verify(message, store)).release();
      const second = await verify(message, store);
      await second.forget();
      const third = await verify(message, store);
      await third.complete();
      await assert.rejects(verify(message, store), (e) => e.code === "duplicate");
    });

    test("a crashed handler (never settles): once its lease expires the next copy is handled", async () => {
      let now = 0;
      const store = api.memoryStore({ clock: () => now });
      const message = delivery(api, secret, randomId());
      await verify(message, { store, lease: 30 });
      now = 29_000;
      await assert.rejects(verify(message, { store, lease: 30 }), (e) => e.code === "duplicate_in_progress");
      now = 30_000;
      const retry = await verify(message, { store, lease: 30 });
      assert.equal(typeof retry.complete, "function", "handled after the lease");
    });

    test("with a Webhook instance the options may come third", async () => {
      const store = api.memoryStore();
      const message = delivery(api, secret, randomId());
      const wh = new api.Webhook(secret);
      await (await api.verifyRequest(request(message), wh, { dedupe: store })).complete();
      await assert.rejects(api.verifyRequest(request(message), wh, { dedupe: store }), (e) => e.code === "duplicate");
    });

    test(`${PARALLEL} parallel verifyRequest calls for one id: exactly one claims it, the others are in progress`, async () => {
      const store = api.memoryStore();
      const message = delivery(api, secret, randomId());
      const results = await Promise.allSettled(Array.from({ length: PARALLEL }, () => verify(message, store)));
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      const rejected = results.filter((r) => r.status === "rejected");
      assert.equal(rejected.length, PARALLEL - 1);
      for (const r of rejected) assert.equal(r.reason.code, "duplicate_in_progress");
    });

    test("a request that fails verification never touches the store", async () => {
      const store = counting(api.memoryStore());
      const id = randomId();
      const good = delivery(api, secret, id);
      const stale = { body: good.body, headers: { ...good.headers, ...api.sign("standard-webhooks", [secret], { id, payload: good.body, timestamp: Date.now() / 1000 - 3600 }) } };
      const bad = [
        { body: good.body.replace("created", "deleted"), headers: good.headers },
        { body: good.body, headers: { ...good.headers, "webhook-signature": "v1,AAAA" } },
        { body: good.body, headers: { "content-type": "application/json" } },
        stale,
        delivery(api, api.generateSecret(), id),
      ];
      for (const message of bad) {
        await assert.rejects(verify(message, store), (e) => e instanceof api.WebhookVerificationError);
      }
      assert.deepEqual(store.calls, { claim: 0, complete: 0, release: 0 });
      await (await verify(good, store)).complete();
      assert.deepEqual(store.calls, { claim: 1, complete: 1, release: 0 }, "and the genuine one does");
    });

    test("other schemes: the provider's delivery header, or a key function", async () => {
      const store = api.memoryStore();
      const payload = JSON.stringify({ action: "opened", event: { id: "evt_42" } });
      const github = { ...api.sign("github", "gh-secret", { payload }), "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" };
      const make = (headers) => new Request("https://r.example/", { method: "POST", body: payload, headers });
      const first = await api.verifyRequest(make(github), "github", "gh-secret", { dedupe: store });
      assert.equal(first.id, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
      await first.complete();
      await assert.rejects(api.verifyRequest(make(github), "github", "gh-secret", { dedupe: store }), (e) => e.code === "duplicate");

      const typeform = api.sign("typeform", "tf-secret", { payload });
      await assert.rejects(api.verifyRequest(make(typeform), "typeform", "tf-secret", { dedupe: store }), (e) => e instanceof api.FormhookError && e.code === "dedupe_no_id");
      const byEvent = { store, key: ({ data }) => `typeform:${data.event.id}` };
      assert.equal((await api.verifyRequest(make(typeform), "typeform", "tf-secret", { dedupe: byEvent })).id, "typeform:evt_42");
      await assert.rejects(api.verifyRequest(make(typeform), "typeform", "tf-secret", { dedupe: byEvent }), (e) => e.code === "duplicate_in_progress");
    });

    test("a store of the first interface (seen/forget) still works, without the in-progress state (deprecated)", async () => {
      const ids = new Map();
      const legacy = {
        seen: (id) => ids.has(id) || (ids.set(id, true), false),
        forget: (id) => ids.delete(id),
      };
      const message = delivery(api, secret, randomId());
      const first = await verify(message, legacy);
      await assert.rejects(verify(message, legacy), (e) => e.code === "duplicate", "no in-progress state: the old answer");
      await first.release();
      await (await verify(message, legacy)).complete();
      await assert.rejects(verify(message, legacy), (e) => e.code === "duplicate");
    });

    test("a store whose claim answers something else is an invalid_store error, not a guess", async () => {
      const odd = { claim: () => true, complete() {}, release() {} };
      await assert.rejects(verify(delivery(api, secret, randomId()), odd), (e) => e instanceof api.FormhookError && e.code === "invalid_store");
    });
  });
}

describe("expressVerifier with dedupe (memory store, real express over HTTP)", () => {
  const api = esm;
  const secret = api.generateSecret();
  let now = Date.now();
  const memory = api.memoryStore({ clock: () => now });
  const store = counting(memory);
  let server;
  let built;

  before(async () => {
    built = countingApp(api, secret, store);
    server = await listen(built.app);
    built.url = server.url;
  });
  after(() => server?.close());

  test(`${PARALLEL} parallel copies of one id while the handler is slow: one handled, the others 409 with Retry-After, then 200 duplicate`, async () => {
    await assertOneHandledRestRetry([built], api, secret);
  });

  test("a handler answering 500 releases the id: the retry is handled", async () => {
    const message = delivery(api, secret, randomId());
    const first = await post(`${server.url}/fail`, message);
    assert.equal(first.status, 500);
    // The id is released when the response closes, just after the client has the answer: a copy
    // sent at once may still be told 409 and is sent again (the clock is frozen, so no lease runs out).
    const retry = await postRetrying(`${server.url}/fail`, message);
    assert.deepEqual(retry.body, { ok: true, handled: true });
    const third = await postRetrying(`${server.url}/fail`, message);
    assert.equal(third.body.duplicate, true, "handled once, then a duplicate");
  });

  test("a handler that throws releases the id too", async () => {
    const message = delivery(api, secret, randomId());
    const before = store.calls.release;
    const response = await fetch(`${server.url}/throw`, { method: "POST", body: message.body, headers: message.headers });
    assert.equal(response.status, 500);
    await response.text();
    // Released when the response closes, just after the client has the answer: poll, no sleep.
    for (let i = 0; i < 1000 && store.calls.release === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(store.calls.release, before + 1);
  });

  test("a crashed handler (its claim never settled): 409 until the lease expires, then the next copy is handled", async () => {
    const id = randomId();
    const message = delivery(api, secret, id);
    // What a process that crashed mid-handler leaves behind: its claim, with the default lease.
    memory.claim(id, api.DEFAULT_DEDUPE_LEASE, "crashed-process");
    assertInProgress(await post(`${server.url}/hook`, message), id);
    now += api.DEFAULT_DEDUPE_LEASE * 1000;
    assert.deepEqual((await post(`${server.url}/hook`, message)).body, { ok: true, handled: true });
    assert.deepEqual(built.handled.filter((h) => h === id), [id]);
  });

  test("tampered, unsigned and stale requests get 400 and never reach the store", async () => {
    const claimsBefore = store.calls.claim;
    const id = randomId();
    const good = delivery(api, secret, id);
    for (const message of [
      { body: good.body.replace("created", "deleted"), headers: good.headers },
      { body: good.body, headers: { "content-type": "application/json" } },
      delivery(api, api.generateSecret(), id),
    ]) {
      const answer = await post(`${server.url}/hook`, message);
      assert.equal(answer.status, 400);
    }
    assert.equal(store.calls.claim, claimsBefore);
  });
});

describe("redisStore against a real redis-server", () => {
  const api = esm;
  const secret = api.generateSecret();
  let redis;
  const clients = {};

  before(async () => {
    redis = await startRedis();
    clients.nodeRedis = await createClient({ url: redis.url }).connect();
    clients.nodeRedis2 = await createClient({ url: redis.url }).connect();
    clients.ioredis = new IORedis(redis.port, "127.0.0.1", { lazyConnect: true });
    await clients.ioredis.connect();
    clients.ioredis2 = new IORedis(redis.port, "127.0.0.1", { lazyConnect: true });
    await clients.ioredis2.connect();
  });

  after(async () => {
    for (const client of Object.values(clients)) {
      try {
        await client.quit();
      } catch {}
    }
    await redis?.stop();
  });

  /** Polls until Redis has let `key` expire (Redis's own clock, no assumption about timing). */
  async function expired(key) {
    while ((await clients.ioredis.exists(key)) === 1) await new Promise((r) => setTimeout(r, 50));
  }

  for (const [name, first, second] of [["redis (node-redis)", "nodeRedis", "nodeRedis2"], ["ioredis", "ioredis", "ioredis2"]]) {
    describe(name, () => {
      test("claim holds the key for the lease, complete for the TTL; copies see in_progress, then done", async () => {
        const prefix = `t:${name}:`;
        const store = api.redisStore(clients[first], { prefix });
        const id = randomId();
        assert.equal(await store.claim(id, 30, "tok1"), "claimed");
        assert.equal(await clients.ioredis.get(prefix + id), "processing:tok1");
        const leaseLeft = await clients.ioredis.ttl(prefix + id);
        assert.ok(leaseLeft > 20 && leaseLeft <= 30, `lease ${leaseLeft}`);
        assert.equal(await store.claim(id, 30, "tok2"), "in_progress");
        await store.complete(id, 600, "tok1");
        assert.equal(await clients.ioredis.get(prefix + id), "done");
        const ttl = await clients.ioredis.ttl(prefix + id);
        assert.ok(ttl > 590 && ttl <= 600, `TTL ${ttl}`);
        assert.equal(await store.claim(id, 30, "tok3"), "done");
        await store.release(id, "tok1");
        await store.release(id);
        assert.equal(await store.claim(id, 30, "tok4"), "done", "a handled id is never released");
        await store.forget(id);
        assert.equal(await clients.ioredis.exists(prefix + id), 0, "forget deletes it whatever its state");
      });

      test("release deletes only its own claim", async () => {
        const prefix = `r:${name}:`;
        const store = api.redisStore(clients[first], { prefix });
        const id = randomId();
        await store.claim(id, 30, "mine");
        await store.release(id, "theirs");
        assert.equal(await store.claim(id, 30, "x"), "in_progress");
        await store.release(id, "mine");
        assert.equal(await clients.ioredis.exists(prefix + id), 0);
        assert.equal(await store.claim(id, 30, "next"), "claimed");
      });

      test("the defaults: lease DEFAULT_DEDUPE_LEASE, TTL DEFAULT_DEDUPE_TTL", async () => {
        const prefix = `d:${name}:`;
        const store = api.redisStore(clients[first], { prefix });
        const id = randomId();
        await store.claim(id);
        const lease = await clients.ioredis.ttl(prefix + id);
        assert.ok(lease > api.DEFAULT_DEDUPE_LEASE - 10 && lease <= api.DEFAULT_DEDUPE_LEASE, `lease ${lease}`);
        await store.complete(id);
        const ttl = await clients.ioredis.ttl(prefix + id);
        assert.ok(ttl > api.DEFAULT_DEDUPE_TTL - 10 && ttl <= api.DEFAULT_DEDUPE_TTL, `TTL ${ttl}`);
      });

      test(`${PARALLEL} parallel copies to two apps on two connections while the handler is slow: one handled, the others 409`, async () => {
        const prefix = `p:${name}:`;
        const apps = [countingApp(api, secret, api.redisStore(clients[first], { prefix })), countingApp(api, secret, api.redisStore(clients[second], { prefix }))];
        const servers = [];
        try {
          for (const app of apps) {
            const server = await listen(app.app);
            servers.push(server);
            app.url = server.url;
          }
          await assertOneHandledRestRetry(apps, api, secret);
        } finally {
          for (const s of servers) await s.close();
        }
      });

      test("requests that fail verification write nothing to Redis", async () => {
        const prefix = `inv:${name}:`;
        const { app } = countingApp(api, secret, api.redisStore(clients[first], { prefix }));
        const server = await listen(app);
        try {
          const good = delivery(api, secret, randomId());
          for (const message of [{ body: good.body + " ", headers: good.headers }, { body: good.body, headers: {} }, delivery(api, api.generateSecret(), randomId())]) {
            assert.equal((await post(`${server.url}/hook`, message)).status, 400);
          }
          assert.deepEqual(await clients.ioredis.keys(`${prefix}*`), []);
          assert.equal((await post(`${server.url}/hook`, good)).status, 200);
          assert.equal((await clients.ioredis.keys(`${prefix}*`)).length, 1);
        } finally {
          await server.close();
        }
      });
    });
  }

  test("a 500 from the handler deletes the key, so the sender's retry is processed", async () => {
    const prefix = "fail:";
    const { app, handled } = countingApp(api, secret, api.redisStore(clients.nodeRedis, { prefix }));
    const server = await listen(app);
    try {
      const id = randomId();
      const message = delivery(api, secret, id);
      assert.equal((await post(`${server.url}/fail`, message)).status, 500);
      for (let i = 0; i < 100 && (await clients.ioredis.exists(prefix + id)) === 1; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await clients.ioredis.exists(prefix + id), 0);
      assert.equal((await post(`${server.url}/fail`, message)).body.handled, true);
      assert.deepEqual(handled, [id]);
    } finally {
      await server.close();
    }
  });

  test("a crashed handler's claim (lease 2 s): 409 while it lasts, the next copy after Redis expires it is handled", async () => {
    const prefix = "crash:";
    const store = api.redisStore(clients.nodeRedis, { prefix });
    const { app, handled } = countingApp(api, secret, { store, lease: 2 });
    const server = await listen(app);
    try {
      const id = randomId();
      const message = delivery(api, secret, id);
      // What a process that crashed mid-handler leaves behind: its claim, never completed or released.
      assert.equal(await store.claim(id, 2, "crashed-process"), "claimed");
      assertInProgress(await post(`${server.url}/hook`, message), id);
      await expired(prefix + id);
      assert.deepEqual((await post(`${server.url}/hook`, message)).body, { ok: true, handled: true });
      assert.deepEqual(handled, [id]);
      assert.equal((await postRetrying(`${server.url}/hook`, message)).body.duplicate, true, "then marked handled");
    } finally {
      await server.close();
    }
  });

  test("a late complete after the lease expired and another request claimed: the id stays handled", async () => {
    const prefix = "late:";
    const store = api.redisStore(clients.ioredis, { prefix });
    const id = randomId();
    assert.equal(await store.claim(id, 1, "slow"), "claimed");
    await expired(prefix + id);
    assert.equal(await store.claim(id, 30, "retry"), "claimed");
    await store.complete(id, 600, "slow");
    await store.release(id, "retry"); // the retry failed: its claim is gone already, the mark stays
    assert.equal(await store.claim(id, 30, "third"), "done");
  });

  test("the deprecated seen/forget still work and share the keys", async () => {
    const prefix = "old:";
    const store = api.redisStore(clients.nodeRedis, { prefix });
    const id = randomId();
    assert.equal(await store.seen(id, 600), false);
    assert.equal(await store.seen(id, 600), true);
    assert.equal(await store.claim(id, 30, "t"), "done");
    await clients.ioredis.set(prefix + id, "1", "EX", 600); // what the first version wrote
    assert.equal(await store.claim(id, 30, "t"), "done");
    await store.forget(id);
    assert.equal(await store.claim(id, 30, "t"), "claimed");
  });
});
