// Deduplication for receivers. Delivery is at-least-once: the same event (same `webhook-id`) can
// arrive twice, after a timeout or a crash on the sender's side. A store remembers the ids it has
// seen; the verifiers consult it only after the signature verified, so unsigned requests can never
// fill it. Pure JavaScript: nothing here reaches the wasm.

import { FormhookError } from "./errors.js";

/** Five days: the sender's whole retry window (`disable_after` in the core's retry policy). */
export const DEFAULT_DEDUPE_TTL = 5 * 24 * 60 * 60;

/** Thrown by `verifyRequest` / `verifyNodeRequest` for a verified message whose id was already seen. */
export class WebhookDuplicateError extends Error {
  constructor(id) {
    super(`webhook ${JSON.stringify(id)} was already received`);
    this.name = "WebhookDuplicateError";
    this.code = "duplicate";
    this.id = id;
  }
}

function checkId(id) {
  if (typeof id !== "string" || id === "") throw new FormhookError("a dedupe id must be a non-empty string", "dedupe_no_id");
}

function checkTtl(ttlSeconds) {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new FormhookError("the dedupe TTL must be a positive whole number of seconds", "invalid_ttl");
  }
}

/**
 * An in-process store: a Map from id to a node of a doubly linked list in order of last sight,
 * bounded (the least recently seen id goes first) and with a TTL per id. Every operation is O(1).
 * Atomic within one process; use Redis or a Durable Object when several processes receive.
 * @param options.max ids kept at most (default 100,000: about 17 MB with 28-character ids)
 * @param options.clock milliseconds since the epoch (default Date.now), for tests
 */
export function memoryStore({ max = 100_000, clock = Date.now } = {}) {
  if (!Number.isInteger(max) || max <= 0) throw new FormhookError("max must be a positive integer", "invalid_store");
  // Evicting by walking a Map from its start is slow once many entries were deleted there (the
  // walk skips every deleted slot until the table is rebuilt), so the order lives in a list.
  const nodes = new Map();
  let oldest; // the least recently seen node
  let newest;
  const unlink = (node) => {
    if (node.older) node.older.newer = node.newer;
    else oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else newest = node.older;
    node.older = node.newer = undefined;
  };
  const append = (node) => {
    node.older = newest;
    if (newest) newest.newer = node;
    else oldest = node;
    newest = node;
  };
  const remove = (node) => {
    unlink(node);
    nodes.delete(node.id);
  };
  return {
    kind: "memory",
    seen(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      const now = clock();
      const known = nodes.get(id);
      if (known !== undefined && known.expires > now) {
        unlink(known); // most recently seen: last to be evicted
        append(known);
        return true;
      }
      if (known !== undefined) remove(known);
      const node = { id, expires: now + ttlSeconds * 1000, older: undefined, newer: undefined };
      nodes.set(id, node);
      append(node);
      // Drop what expired at the old end, then whatever exceeds the bound.
      while (oldest !== node && (oldest.expires <= now || nodes.size > max)) remove(oldest);
      return false;
    },
    forget(id) {
      const node = nodes.get(id);
      if (node !== undefined) remove(node);
    },
    get size() {
      return nodes.size;
    },
  };
}

// One Redis command through whichever client the caller passes: ioredis has `call(...args)`,
// node-redis (v4 and later) `sendCommand([...args])`.
function redisCommand(client) {
  if (client && typeof client.call === "function") return (args) => client.call(...args);
  if (client && typeof client.sendCommand === "function") return (args) => client.sendCommand(args);
  throw new FormhookError("redisStore needs a connected `redis` (node-redis) or `ioredis` client", "invalid_store");
}

/**
 * A Redis store: `SET <prefix><id> 1 NX EX <ttl>` is one atomic command, so any number of
 * processes can share it. Works with a `redis` (node-redis v4+) or `ioredis` client you connect.
 * @param options.prefix key prefix (default "formhook:seen:")
 */
export function redisStore(client, { prefix = "formhook:seen:" } = {}) {
  const command = redisCommand(client);
  return {
    kind: "redis",
    async seen(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      // "OK" when the key was set (first time), null when it already existed.
      const reply = await command(["SET", prefix + id, "1", "NX", "EX", String(ttlSeconds)]);
      return reply === null;
    },
    async forget(id) {
      await command(["DEL", prefix + id]);
    },
  };
}

/**
 * A Cloudflare Workers KV store. BEST-EFFORT, NOT ATOMIC: KV has no compare-and-set and is
 * eventually consistent (a write can take up to 60 s to be visible in other locations), so two
 * deliveries of one id close together can both be handled. It catches the common case, a retry
 * minutes or hours later; use `durableObjectStore` when a duplicate must never get through.
 * TTLs under 60 s are raised to 60 s (KV's minimum).
 */
export function kvStore(namespace, { prefix = "formhook:seen:" } = {}) {
  if (!namespace || typeof namespace.get !== "function" || typeof namespace.put !== "function") {
    throw new FormhookError("kvStore needs a KV namespace binding", "invalid_store");
  }
  return {
    kind: "kv",
    async seen(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      const key = prefix + id;
      if ((await namespace.get(key)) !== null) return true;
      await namespace.put(key, "1", { expirationTtl: Math.max(60, ttlSeconds) });
      return false;
    },
    async forget(id) {
      await namespace.delete(prefix + id);
    },
  };
}

// FNV-1a over the id's UTF-16 code units: spreads ids over shards, stable across deploys.
function shardOf(id, shards) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash % shards;
}

/**
 * A store backed by the `DedupeDurableObject` class (export it from your Worker and bind it):
 * atomic, because one object handles one id at a time.
 * @param namespace the Durable Object namespace binding (e.g. `env.DEDUPE`)
 * @param options.shards spread ids over this many objects (default 1; one object serves about
 *   1,000 requests/s)
 * @param options.name object name prefix (default "formhook-dedupe")
 */
export function durableObjectStore(namespace, { shards = 1, name = "formhook-dedupe" } = {}) {
  if (!namespace || typeof namespace.idFromName !== "function") {
    throw new FormhookError("durableObjectStore needs a Durable Object namespace binding", "invalid_store");
  }
  if (!Number.isInteger(shards) || shards <= 0) throw new FormhookError("shards must be a positive integer", "invalid_store");
  const stub = (id) => namespace.get(namespace.idFromName(`${name}:${shardOf(id, shards)}`));
  const call = async (id, body) => {
    const response = await stub(id).fetch("https://formhook-dedupe/", { method: "POST", body: JSON.stringify(body) });
    if (!response.ok) throw new FormhookError(`the dedupe Durable Object answered ${response.status}`, "store_failed");
    return response.json();
  };
  return {
    kind: "durable-object",
    async seen(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      return (await call(id, { op: "seen", id, ttl: ttlSeconds })).seen === true;
    },
    async forget(id) {
      checkId(id);
      await call(id, { op: "forget", id });
    },
  };
}

/**
 * The Durable Object behind `durableObjectStore`. In your Worker: `export { DedupeDurableObject }
 * from "formhook";` plus a `durable_objects` binding and a migration for the class (see README).
 * Each id is stored with its expiry; an alarm removes expired ids.
 */
export class DedupeDurableObject {
  #storage;
  // Ids whose check is in flight, tested and added synchronously before any await: a second
  // request for the same id is a duplicate even if the runtime interleaves the two. Once the
  // first one's write is done, storage (strongly consistent inside the object) answers.
  #pending = new Set();

  constructor(state) {
    this.#storage = state.storage;
  }

  async fetch(request) {
    let body;
    try {
      body = await request.json();
    } catch {
      return new Response("bad request", { status: 400 });
    }
    const { op, id, ttl } = body ?? {};
    if (typeof id !== "string" || id === "") return new Response("bad id", { status: 400 });
    const key = `seen:${id}`;
    if (op === "forget") {
      await this.#storage.delete(key);
      return Response.json({ ok: true });
    }
    if (op !== "seen" || !Number.isInteger(ttl) || ttl <= 0) return new Response("bad op", { status: 400 });
    if (this.#pending.has(key)) return Response.json({ seen: true });
    this.#pending.add(key);
    try {
      const now = Date.now();
      const stored = await this.#storage.get(key);
      if (typeof stored === "number" && stored > now) return Response.json({ seen: true });
      const expires = now + ttl * 1000;
      await this.#storage.put(key, expires);
      if ((await this.#storage.getAlarm()) === null) await this.#storage.setAlarm(expires);
      return Response.json({ seen: false });
    } finally {
      this.#pending.delete(key);
    }
  }

  /** Removes expired ids; re-arms for the next expiry while any remain. */
  async alarm() {
    const now = Date.now();
    let next = Infinity;
    const expired = [];
    for (const [key, expires] of await this.#storage.list({ prefix: "seen:" })) {
      if (expires <= now) expired.push(key);
      else next = Math.min(next, expires);
    }
    // delete() takes at most 128 keys at a time.
    for (let i = 0; i < expired.length; i += 128) await this.#storage.delete(expired.slice(i, i + 128));
    if (next !== Infinity) await this.#storage.setAlarm(next);
  }
}

/** The ids senders put in headers, in order: Standard Webhooks/formhook, svix, GitHub, Shopify. */
const ID_HEADERS = ["webhook-id", "svix-id", "x-github-delivery", "x-shopify-webhook-id"];

/**
 * Normalises the `dedupe` option: a store, or `{ store, ttl, key }` where `key({ headers,
 * payload, data, readHeader })` returns the id to deduplicate on.
 */
export function dedupeConfig(option) {
  if (option === undefined || option === null || option === false) return undefined;
  const config = typeof option.seen === "function" ? { store: option } : option;
  if (!config.store || typeof config.store.seen !== "function") {
    throw new FormhookError("dedupe needs a store with seen(id, ttlSeconds), e.g. memoryStore() or redisStore(client)", "invalid_store");
  }
  const ttl = config.ttl ?? DEFAULT_DEDUPE_TTL;
  checkTtl(ttl);
  if (config.key !== undefined && typeof config.key !== "function") throw new FormhookError("dedupe.key must be a function", "invalid_store");
  return { store: config.store, ttl, key: config.key };
}

/**
 * Called only after the signature verified. Returns `{ id, duplicate, forget }`, where `forget()`
 * releases the id again (the handler failed, so the sender's retry must be handled).
 */
export async function checkDuplicate(config, { headers, payload, data, readHeader }) {
  let id;
  if (config.key) {
    id = await config.key({ headers, payload, data });
  } else {
    for (const name of ID_HEADERS) {
      id = readHeader(headers, name, ",");
      if (id) break;
    }
  }
  if (typeof id !== "string" || id === "") {
    throw new FormhookError(
      `dedupe found no message id (headers ${ID_HEADERS.join(", ")}); pass dedupe: { store, key: ({ headers, data }) => id }`,
      "dedupe_no_id",
    );
  }
  const duplicate = (await config.store.seen(id, config.ttl)) === true;
  const forget = async () => {
    if (typeof config.store.forget === "function") await config.store.forget(id);
  };
  return { id, duplicate, forget };
}
