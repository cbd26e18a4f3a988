// Deduplication: the stores (memory; Redis through a real redis-server started on a free port,
// with both the `redis` and `ioredis` clients), the `dedupe` option of verifyRequest and
// expressVerifier, 50 parallel deliveries of one id, and the rule that a request failing
// verification never reaches the store.
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
  const calls = { seen: 0, forget: 0 };
  return {
    calls,
    seen: (id, ttl) => {
      calls.seen++;
      return store.seen(id, ttl);
    },
    forget: (id) => {
      calls.forget++;
      return store.forget(id);
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
 * An express app whose handler counts what it processes; `/fail` answers 500 the first time it
 * sees each id, as a handler whose database was down would.
 */
function countingApp(api, secret, dedupe) {
  const handled = [];
  const failedOnce = new Set();
  const app = express();
  const verify = api.expressVerifier("standard-webhooks", [secret], { dedupe });
  app.post("/hook", express.raw({ type: "*/*" }), verify, (req, res) => {
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
  return { app, handled };
}

function delivery(api, secret, id, payload = JSON.stringify({ type: "form.submission.created", id })) {
  return { body: payload, headers: { "content-type": "application/json", ...api.sign("standard-webhooks", [secret], { id, payload }) } };
}

async function post(url, { body, headers }) {
  const response = await fetch(url, { method: "POST", body, headers });
  return { status: response.status, body: await response.json() };
}

/** Sends 50 copies of one signed delivery at once and checks exactly one was handled. */
async function assertExactlyOnce(urls, api, secret, handled) {
  const id = randomId();
  const message = delivery(api, secret, id);
  const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => post(`${urls[i % urls.length]}/hook`, message)));
  assert.deepEqual(answers.map((a) => a.status), Array(PARALLEL).fill(200));
  assert.equal(answers.filter((a) => a.body.handled === true).length, 1, "exactly one delivery is handled");
  const duplicates = answers.filter((a) => a.body.duplicate === true);
  assert.equal(duplicates.length, PARALLEL - 1);
  for (const d of duplicates) assert.deepEqual(d.body, { ok: true, duplicate: true, id });
  assert.deepEqual(handled.filter((h) => h === id), [id]);
}

for (const [name, api] of [["node ESM", esm], ["node CJS", cjs], ["browser", browser]]) {
  describe(`${name}: memoryStore`, () => {
    test("records an id once: false the first time, true after, for its TTL only", () => {
      let now = 1_000_000;
      const store = api.memoryStore({ clock: () => now });
      assert.equal(store.seen("a", 60), false);
      assert.equal(store.seen("a", 60), true);
      assert.equal(store.seen("b", 60), false);
      now += 59_999;
      assert.equal(store.seen("a", 60), true, "still within the TTL");
      now += 1;
      assert.equal(store.seen("a", 60), false, "expired: recorded anew");
      assert.equal(store.seen("a", 60), true);
      store.forget("a");
      assert.equal(store.seen("a", 60), false, "forgotten: new again");
    });

    test("bounded: past `max` ids the least recently seen goes first", () => {
      const store = api.memoryStore({ max: 3 });
      for (const id of ["a", "b", "c"]) assert.equal(store.seen(id), false);
      assert.equal(store.seen("a"), true); // a is now the most recently seen
      assert.equal(store.seen("d"), false); // evicts b
      assert.equal(store.size, 3);
      assert.equal(store.seen("b"), false, "b was evicted"); // evicts c
      assert.equal(store.seen("a"), true);
      assert.equal(store.seen("d"), true);
    });

    test("under churn (10× max new ids) it holds exactly the last `max` ids", () => {
      const max = 1000;
      const store = api.memoryStore({ max });
      for (let i = 0; i < 10 * max; i++) assert.equal(store.seen(`id_${i}`, 60), false);
      assert.equal(store.size, max);
      for (let i = 10 * max - 1; i >= 9 * max; i--) assert.equal(store.seen(`id_${i}`, 60), true, `id_${i}`);
      assert.equal(store.seen(`id_${9 * max - 1}`, 60), false, "the one before them was evicted");
      store.forget(`id_${9 * max - 1}`);
      for (let i = 0; i < max; i++) store.forget(`id_${9 * max + i}`);
      assert.equal(store.size, 0);
      assert.equal(store.seen("again", 60), false);
      assert.equal(store.seen("again", 60), true);
    });

    test("expired ids are dropped before live ones", () => {
      let now = 0;
      const store = api.memoryStore({ max: 2, clock: () => now });
      store.seen("short", 1);
      store.seen("long", 100);
      now = 5_000;
      store.seen("new", 100);
      assert.equal(store.size, 2);
      assert.equal(store.seen("long", 100), true, "the live id survived");
    });

    test("the default TTL covers the sender's whole retry window (5 days ≥ 3 days)", () => {
      assert.equal(api.DEFAULT_DEDUPE_TTL, 5 * 24 * 3600);
      let now = 0;
      const store = api.memoryStore({ clock: () => now });
      store.seen("x");
      now = (api.DEFAULT_DEDUPE_TTL - 1) * 1000;
      assert.equal(store.seen("x"), true);
    });

    test("bad ids, TTLs and sizes are FormhookErrors with codes", () => {
      const store = api.memoryStore();
      for (const id of ["", undefined, 42]) assert.throws(() => store.seen(id, 60), (e) => e instanceof api.FormhookError && e.code === "dedupe_no_id");
      for (const ttl of [0, -1, 1.5, "60"]) assert.throws(() => store.seen("a", ttl), (e) => e instanceof api.FormhookError && e.code === "invalid_ttl");
      assert.throws(() => api.memoryStore({ max: 0 }), (e) => e.code === "invalid_store");
      assert.throws(() => api.redisStore({}), (e) => e.code === "invalid_store");
      assert.throws(() => api.kvStore({}), (e) => e.code === "invalid_store");
      assert.throws(() => api.durableObjectStore({}), (e) => e.code === "invalid_store");
      assert.throws(() => api.expressVerifier("github", "s", { dedupe: {} }), (e) => e.code === "invalid_store");
      assert.throws(() => api.expressVerifier("github", "s", { dedupe: { store: api.memoryStore(), ttl: 0 } }), (e) => e.code === "invalid_ttl");
    });
  });

  describe(`${name}: verifyRequest with dedupe`, () => {
    const secret = api.generateSecret();
    const request = ({ body, headers }) => new Request("https://receiver.example/hook", { method: "POST", body, headers });

    test("the first delivery returns its id; a repeat throws WebhookDuplicateError (code duplicate)", async () => {
      const store = api.memoryStore();
      const id = randomId();
      const message = delivery(api, secret, id);
      const first = await api.verifyRequest(request(message), "standard-webhooks", secret, { dedupe: store });
      assert.equal(first.id, id);
      assert.equal(first.data.id, id);
      assert.equal(typeof first.forget, "function");
      await assert.rejects(api.verifyRequest(request(message), "standard-webhooks", secret, { dedupe: store }), (e) => {
        assert.ok(e instanceof api.WebhookDuplicateError);
        assert.ok(!(e instanceof api.WebhookVerificationError), "a duplicate is not a verification failure");
        assert.equal(e.code, "duplicate");
        assert.equal(e.id, id);
        return true;
      });
      await first.forget();
      const again = await api.verifyRequest(request(message), "standard-webhooks", secret, { dedupe: store });
      assert.equal(again.id, id, "after forget() the retry is handled");
    });

    test("with a Webhook instance the options may come third", async () => {
      const store = api.memoryStore();
      const message = delivery(api, secret, randomId());
      const wh = new api.Webhook(secret);
      await api.verifyRequest(request(message), wh, { dedupe: store });
      await assert.rejects(api.verifyRequest(request(message), wh, { dedupe: store }), (e) => e.code === "duplicate");
    });

    test(`${PARALLEL} parallel verifyRequest calls for one id: exactly one succeeds`, async () => {
      const store = api.memoryStore();
      const message = delivery(api, secret, randomId());
      const results = await Promise.allSettled(Array.from({ length: PARALLEL }, () => api.verifyRequest(request(message), "standard-webhooks", secret, { dedupe: store })));
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      assert.ok(results.filter((r) => r.status === "rejected").every((r) => r.reason.code === "duplicate"));
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
        await assert.rejects(api.verifyRequest(request(message), "standard-webhooks", secret, { dedupe: store }), (e) => e instanceof api.WebhookVerificationError);
      }
      assert.deepEqual(store.calls, { seen: 0, forget: 0 });
      await api.verifyRequest(request(good), "standard-webhooks", secret, { dedupe: store });
      assert.equal(store.calls.seen, 1, "and the genuine one does");
    });

    test("other schemes: the provider's delivery header, or a key function", async () => {
      const store = api.memoryStore();
      const payload = JSON.stringify({ action: "opened", event: { id: "evt_42" } });
      const github = { ...api.sign("github", "gh-secret", { payload }), "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" };
      const make = (headers) => new Request("https://r.example/", { method: "POST", body: payload, headers });
      assert.equal((await api.verifyRequest(make(github), "github", "gh-secret", { dedupe: store })).id, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
      await assert.rejects(api.verifyRequest(make(github), "github", "gh-secret", { dedupe: store }), (e) => e.code === "duplicate");

      const typeform = api.sign("typeform", "tf-secret", { payload });
      await assert.rejects(api.verifyRequest(make(typeform), "typeform", "tf-secret", { dedupe: store }), (e) => e instanceof api.FormhookError && e.code === "dedupe_no_id");
      const byEvent = { store, key: ({ data }) => `typeform:${data.event.id}` };
      assert.equal((await api.verifyRequest(make(typeform), "typeform", "tf-secret", { dedupe: byEvent })).id, "typeform:evt_42");
      await assert.rejects(api.verifyRequest(make(typeform), "typeform", "tf-secret", { dedupe: byEvent }), (e) => e.code === "duplicate");
    });
  });
}

describe("expressVerifier with dedupe (memory store, real express over HTTP)", () => {
  const api = esm;
  const secret = api.generateSecret();
  const store = counting(api.memoryStore());
  let server;
  let handled;

  before(async () => {
    const built = countingApp(api, secret, store);
    handled = built.handled;
    server = await listen(built.app);
  });
  after(() => server?.close());

  test(`${PARALLEL} parallel deliveries of one id: exactly one handled, the others 200 duplicate`, async () => {
    await assertExactlyOnce([server.url], api, secret, handled);
  });

  test("a handler answering 500 releases the id: the retry is handled", async () => {
    const message = delivery(api, secret, randomId());
    const first = await post(`${server.url}/fail`, message);
    assert.equal(first.status, 500);
    // The id is released when the response closes, just after the client has the answer.
    await new Promise((r) => setTimeout(r, 50));
    const retry = await post(`${server.url}/fail`, message);
    assert.deepEqual(retry, { status: 200, body: { ok: true, handled: true } });
    const third = await post(`${server.url}/fail`, message);
    assert.equal(third.body.duplicate, true, "handled once, then a duplicate");
  });

  test("a handler that throws releases the id too", async () => {
    const message = delivery(api, secret, randomId());
    const before = store.calls.forget;
    const response = await fetch(`${server.url}/throw`, { method: "POST", body: message.body, headers: message.headers });
    assert.equal(response.status, 500);
    await response.text();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(store.calls.forget, before + 1);
  });

  test("tampered, unsigned and stale requests get 400 and never reach the store", async () => {
    const seenBefore = store.calls.seen;
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
    assert.equal(store.calls.seen, seenBefore);
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

  for (const [name, first, second] of [["redis (node-redis)", "nodeRedis", "nodeRedis2"], ["ioredis", "ioredis", "ioredis2"]]) {
    describe(name, () => {
      test("SET NX EX: new, then seen; the key carries the TTL; forget deletes it", async () => {
        const store = api.redisStore(clients[first], { prefix: `t:${name}:` });
        const id = randomId();
        assert.equal(await store.seen(id, 600), false);
        assert.equal(await store.seen(id, 600), true);
        const ttl = await clients.ioredis.ttl(`t:${name}:${id}`);
        assert.ok(ttl > 590 && ttl <= 600, `TTL ${ttl}`);
        await store.forget(id);
        assert.equal(await clients.ioredis.exists(`t:${name}:${id}`), 0);
        assert.equal(await store.seen(id, 600), false);
      });

      test("the default TTL is DEFAULT_DEDUPE_TTL", async () => {
        const store = api.redisStore(clients[first], { prefix: `d:${name}:` });
        const id = randomId();
        await store.seen(id);
        const ttl = await clients.ioredis.ttl(`d:${name}:${id}`);
        assert.ok(ttl > api.DEFAULT_DEDUPE_TTL - 10 && ttl <= api.DEFAULT_DEDUPE_TTL, `TTL ${ttl}`);
      });

      test(`${PARALLEL} parallel deliveries to two apps on two connections: exactly one handled`, async () => {
        const prefix = `p:${name}:`;
        const a = countingApp(api, secret, api.redisStore(clients[first], { prefix }));
        const b = countingApp(api, secret, api.redisStore(clients[second], { prefix }));
        const servers = [await listen(a.app), await listen(b.app)];
        try {
          const id = randomId();
          const message = delivery(api, secret, id);
          const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => post(`${servers[i % 2].url}/hook`, message)));
          assert.deepEqual(answers.map((x) => x.status), Array(PARALLEL).fill(200));
          assert.equal(answers.filter((x) => x.body.handled).length, 1);
          assert.equal(answers.filter((x) => x.body.duplicate).length, PARALLEL - 1);
          assert.equal([...a.handled, ...b.handled].filter((h) => h === id).length, 1);
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
});
