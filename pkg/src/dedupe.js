// Deduplication for receivers. Delivery is at-least-once: the same event (same `webhook-id`) can
// arrive twice, after a timeout or a crash on the sender's side. A store keeps each id in one of
// two states: in progress (claimed by the request handling it, for a short lease) or handled (for
// the long TTL). The verifiers consult it only after the signature verified, so unsigned requests
// can never fill it. Pure JavaScript: nothing here reaches the wasm.
//
// The rules every store follows, so that no event is ever lost:
// - `claim(id, lease, token)` records the id as in progress for `lease` seconds unless the store
//   already holds it, and answers "claimed", "in_progress" or "done". A copy that finds the id in
//   progress must get a retryable answer (409): the first attempt may still fail.
// - `complete(id, ttl)` marks the id handled, whoever holds it: that the event was handled is a
//   fact, so a late `complete` (the lease ran out and another request claimed the id meanwhile)
//   still records it; the other request's later `release` then finds no claim of its own and
//   leaves the mark alone. The cost is at most a second run of the handler, never a lost event.
// - `release(id, token)` drops only the caller's own claim (same token): never a handled mark,
//   never a claim another request took after this one's lease ran out.
// - A crashed handler never releases: its lease expires and the sender's next retry is handled.

import { FormhookError } from "./errors.js";

/** Five days: the sender's whole retry window (`disable_after` in the core's retry policy). */
export const DEFAULT_DEDUPE_TTL = 5 * 24 * 60 * 60;

/**
 * Sixty seconds: how long a claim holds an id while its handler runs. Longer than any sane
 * handler (senders give up on an answer after 15–30 s); a crashed handler's id is free again after it.
 */
export const DEFAULT_DEDUPE_LEASE = 60;

/** Seconds a copy that found its id in progress is told to wait before retrying (`Retry-After`). */
export const IN_PROGRESS_RETRY_AFTER = 5;

const CLAIMED = "claimed";
const IN_PROGRESS = "in_progress";
const DONE = "done";
const CLAIM_STATES = new Set([CLAIMED, IN_PROGRESS, DONE]);

// What the shared stores (Redis, KV) hold: "done", or "processing:<token>" for a claim. Any other
// value (older versions wrote "1") counts as handled.
const DONE_VALUE = "done";
const PROCESSING = "processing:";

/** Thrown by `verifyRequest` / `verifyNodeRequest` for a verified message whose id was already handled. */
export class WebhookDuplicateError extends Error {
  constructor(id) {
    super(`webhook ${JSON.stringify(id)} was already received`);
    this.name = "WebhookDuplicateError";
    this.code = "duplicate";
    this.id = id;
  }
}

/**
 * Thrown by `verifyRequest` / `verifyNodeRequest` for a verified message whose id another request
 * is handling right now. Not a success: that attempt may still fail, so answer 409 with
 * `Retry-After: retryAfter` and the sender will try again.
 */
export class WebhookInProgressError extends Error {
  constructor(id, retryAfter = IN_PROGRESS_RETRY_AFTER) {
    super(`webhook ${JSON.stringify(id)} is being handled by another request; retry later`);
    this.name = "WebhookInProgressError";
    this.code = "duplicate_in_progress";
    this.id = id;
    this.retryAfter = retryAfter;
  }
}

function checkId(id) {
  if (typeof id !== "string" || id === "") throw new FormhookError("a dedupe id must be a non-empty string", "dedupe_no_id");
}

function checkSeconds(seconds, what, code) {
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw new FormhookError(`the dedupe ${what} must be a positive whole number of seconds`, code);
  }
}

const checkTtl = (ttlSeconds) => checkSeconds(ttlSeconds, "TTL", "invalid_ttl");
const checkLease = (leaseSeconds) => checkSeconds(leaseSeconds, "lease", "invalid_lease");

function checkToken(token) {
  if (token !== undefined && (typeof token !== "string" || token === "")) {
    throw new FormhookError("a claim token must be a non-empty string", "invalid_token");
  }
}

/** A random claim token: tells this request's claim from one another request took later. */
export function claimToken() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * An in-process store: a Map from id to a node of a doubly linked list in order of last sight,
 * bounded (the least recently seen id goes first) and with an expiry per id (the lease while in
 * progress, the TTL once handled). Every operation is O(1). Atomic within one process; use Redis
 * or a Durable Object when several processes receive.
 * @param options.max ids kept at most (default 100,000: about 19 MB of heap with 28-character ids, bench/dedupe.mjs)
 * @param options.clock milliseconds since the epoch (default Date.now), for tests
 */
export function memoryStore({ max = 100_000, clock = Date.now } = {}) {
  if (!Number.isInteger(max) || max <= 0) throw new FormhookError("max must be a positive integer", "invalid_store");
  // Evicting by walking a Map from its start is slow once many entries were deleted there (the
  // walk skips every deleted slot until the table is rebuilt), so the order lives in a list.
  const nodes = new Map();
  let oldest; // the least recently seen node
  let newest;
  let claims = 0; // tokens for claims made without one
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
  /** The id's node if it has not expired (an expired one is removed); it becomes the newest. */
  const live = (id, now) => {
    const node = nodes.get(id);
    if (node === undefined) return undefined;
    if (node.expires <= now) {
      remove(node);
      return undefined;
    }
    unlink(node);
    append(node);
    return node;
  };
  /** Sets the id's value (DONE_VALUE or a claim's token) and expiry; it becomes the newest. */
  const put = (id, value, expires, now) => {
    let node = nodes.get(id);
    if (node === undefined) {
      node = { id, value, expires, older: undefined, newer: undefined };
      nodes.set(id, node);
    } else {
      unlink(node);
      node.value = value;
      node.expires = expires;
    }
    append(node);
    // Drop what expired at the old end, then whatever exceeds the bound.
    while (oldest !== node && (oldest.expires <= now || nodes.size > max)) remove(oldest);
  };
  return {
    kind: "memory",
    claim(id, leaseSeconds = DEFAULT_DEDUPE_LEASE, token = undefined) {
      checkId(id);
      checkLease(leaseSeconds);
      checkToken(token);
      const now = clock();
      const known = live(id, now);
      if (known !== undefined) return known.value === DONE_VALUE ? DONE : IN_PROGRESS;
      put(id, PROCESSING + (token ?? `memory-${++claims}`), now + leaseSeconds * 1000, now);
      return CLAIMED;
    },
    complete(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      const now = clock();
      put(id, DONE_VALUE, now + ttlSeconds * 1000, now);
    },
    release(id, token = undefined) {
      checkId(id);
      checkToken(token);
      const node = nodes.get(id);
      if (node === undefined || !node.value.startsWith(PROCESSING)) return;
      if (token === undefined || node.value === PROCESSING + token) remove(node);
    },
    /** Drops the id whatever its state (an operator replaying an event on purpose). */
    forget(id) {
      const node = nodes.get(id);
      if (node !== undefined) remove(node);
    },
    /** @deprecated Marks the id handled at once and answers whether it was known; use claim/complete. */
    seen(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      const now = clock();
      if (live(id, now) !== undefined) return true;
      put(id, DONE_VALUE, now + ttlSeconds * 1000, now);
      return false;
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

// Scripts run atomically in Redis: the read and the write of one id cannot be split by another
// client. KEYS[1] is the id's key.
// Claim: ARGV[1] the claim value ("processing:<token>"), ARGV[2] the lease in seconds.
const REDIS_CLAIM = `local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 'claimed'
end
if string.sub(v, 1, 11) == 'processing:' then return 'in_progress' end
return 'done'`;
// Release: deletes a claim only, and only the caller's (ARGV[1]), or any claim if ARGV[1] is "".
const REDIS_RELEASE = `local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 11) == 'processing:' and (ARGV[1] == '' or v == ARGV[1]) then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * A Redis store, atomic across any number of processes: a claim is one script (`GET`, then
 * `SET <prefix><id> processing:<token> EX <lease>` if absent), completing is
 * `SET <prefix><id> done EX <ttl>`, releasing a script that deletes only the caller's claim.
 * Works with a `redis` (node-redis v4+) or `ioredis` client you connect.
 * @param options.prefix key prefix (default "formhook:seen:")
 */
export function redisStore(client, { prefix = "formhook:seen:" } = {}) {
  const command = redisCommand(client);
  return {
    kind: "redis",
    async claim(id, leaseSeconds = DEFAULT_DEDUPE_LEASE, token = claimToken()) {
      checkId(id);
      checkLease(leaseSeconds);
      checkToken(token);
      const state = await command(["EVAL", REDIS_CLAIM, "1", prefix + id, PROCESSING + token, String(leaseSeconds)]);
      return String(state);
    },
    async complete(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      // Not XX: a late complete after the lease expired still records the fact (see the rules above).
      await command(["SET", prefix + id, DONE_VALUE, "EX", String(ttlSeconds)]);
    },
    async release(id, token = undefined) {
      checkId(id);
      checkToken(token);
      await command(["EVAL", REDIS_RELEASE, "1", prefix + id, token === undefined ? "" : PROCESSING + token]);
    },
    /** Deletes the id whatever its state (an operator replaying an event on purpose). */
    async forget(id) {
      await command(["DEL", prefix + id]);
    },
    /** @deprecated `SET NX EX`: marks the id handled at once; use claim/complete. */
    async seen(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      // "OK" when the key was set (first time), null when it already existed.
      const reply = await command(["SET", prefix + id, DONE_VALUE, "NX", "EX", String(ttlSeconds)]);
      return reply === null;
    },
  };
}

/**
 * A Cloudflare Workers KV store. BEST-EFFORT, NOT ATOMIC: KV has no compare-and-set and is
 * eventually consistent (a write can take up to 60 s to be visible in other locations), so two
 * deliveries of one id close together can both be handled, and a claim may not be seen
 * elsewhere. It catches the common case, a retry minutes or hours later; use
 * `durableObjectStore` when a duplicate must never get through. Leases and TTLs under 60 s are
 * raised to 60 s (KV's minimum).
 */
export function kvStore(namespace, { prefix = "formhook:seen:" } = {}) {
  if (!namespace || typeof namespace.get !== "function" || typeof namespace.put !== "function") {
    throw new FormhookError("kvStore needs a KV namespace binding", "invalid_store");
  }
  return {
    kind: "kv",
    async claim(id, leaseSeconds = DEFAULT_DEDUPE_LEASE, token = claimToken()) {
      checkId(id);
      checkLease(leaseSeconds);
      checkToken(token);
      const key = prefix + id;
      const value = await namespace.get(key);
      if (value !== null) return value.startsWith(PROCESSING) ? IN_PROGRESS : DONE;
      await namespace.put(key, PROCESSING + token, { expirationTtl: Math.max(60, leaseSeconds) });
      return CLAIMED;
    },
    async complete(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      await namespace.put(prefix + id, DONE_VALUE, { expirationTtl: Math.max(60, ttlSeconds) });
    },
    async release(id, token = undefined) {
      checkId(id);
      checkToken(token);
      const key = prefix + id;
      const value = await namespace.get(key);
      if (value !== null && value.startsWith(PROCESSING) && (token === undefined || value === PROCESSING + token)) await namespace.delete(key);
    },
    /** Deletes the id whatever its state. */
    async forget(id) {
      await namespace.delete(prefix + id);
    },
    /** @deprecated Marks the id handled at once; use claim/complete. */
    async seen(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      const key = prefix + id;
      if ((await namespace.get(key)) !== null) return true;
      await namespace.put(key, DONE_VALUE, { expirationTtl: Math.max(60, ttlSeconds) });
      return false;
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
 * atomic, because the object runs the operations on one id one after another.
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
    async claim(id, leaseSeconds = DEFAULT_DEDUPE_LEASE, token = claimToken()) {
      checkId(id);
      checkLease(leaseSeconds);
      checkToken(token);
      const { state } = await call(id, { op: "claim", id, lease: leaseSeconds, token });
      return state;
    },
    async complete(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      await call(id, { op: "complete", id, ttl: ttlSeconds });
    },
    async release(id, token = undefined) {
      checkId(id);
      checkToken(token);
      await call(id, { op: "release", id, token });
    },
    /** Deletes the id whatever its state. */
    async forget(id) {
      checkId(id);
      await call(id, { op: "forget", id });
    },
    /** @deprecated Marks the id handled at once; use claim/complete. */
    async seen(id, ttlSeconds = DEFAULT_DEDUPE_TTL) {
      checkId(id);
      checkTtl(ttlSeconds);
      return (await call(id, { op: "seen", id, ttl: ttlSeconds })).seen === true;
    },
  };
}

const positiveInteger = (n) => Number.isInteger(n) && n > 0;

// The alarm that removes expired ids runs at most this often: it lists every id, and claims
// expire after a lease of a minute. Reads ignore expired ids, so removing them late costs only space.
const CLEANUP_INTERVAL_MS = 60 * 60 * 1000;

// A stored entry: `{ value, expires }` with value "done" or "processing:<token>"; older
// versions stored the expiry alone (a number), which means handled.
const entryOf = (stored) => (typeof stored === "number" ? { value: DONE_VALUE, expires: stored } : stored);

/**
 * The Durable Object behind `durableObjectStore`. In your Worker: `export { DedupeDurableObject }
 * from "formhook";` plus a `durable_objects` binding and a migration for the class (see README).
 * Each id is stored with its state and expiry; an alarm removes expired ids.
 */
export class DedupeDurableObject {
  #storage;
  // The tail of the queue of operations per id: each waits for the one before, so no read and
  // write of one id is ever split by another request, whatever the runtime interleaves.
  #queues = new Map();

  constructor(state) {
    this.#storage = state.storage;
  }

  async #serially(key, operation) {
    const before = this.#queues.get(key);
    let done;
    const mine = new Promise((resolve) => (done = resolve));
    this.#queues.set(key, mine);
    try {
      await before;
      return await operation();
    } finally {
      done();
      if (this.#queues.get(key) === mine) this.#queues.delete(key);
    }
  }

  async #live(key, now) {
    const entry = entryOf(await this.#storage.get(key));
    return entry && entry.expires > now ? entry : undefined;
  }

  async #put(key, value, expires) {
    await this.#storage.put(key, { value, expires });
    if ((await this.#storage.getAlarm()) === null) await this.#storage.setAlarm(Math.max(expires, Date.now() + CLEANUP_INTERVAL_MS));
  }

  async fetch(request) {
    let body;
    try {
      body = await request.json();
    } catch {
      return new Response("bad request", { status: 400 });
    }
    const { op, id, ttl, lease, token } = body ?? {};
    if (typeof id !== "string" || id === "") return new Response("bad id", { status: 400 });
    if (token !== undefined && (typeof token !== "string" || token === "")) return new Response("bad token", { status: 400 });
    const key = `seen:${id}`;
    switch (op) {
      case "claim":
        if (!positiveInteger(lease) || token === undefined) break;
        return this.#serially(key, async () => {
          const now = Date.now();
          const known = await this.#live(key, now);
          if (known) return Response.json({ state: known.value === DONE_VALUE ? DONE : IN_PROGRESS });
          await this.#put(key, PROCESSING + token, now + lease * 1000);
          return Response.json({ state: CLAIMED });
        });
      case "complete":
        if (!positiveInteger(ttl)) break;
        return this.#serially(key, async () => {
          await this.#put(key, DONE_VALUE, Date.now() + ttl * 1000);
          return Response.json({ ok: true });
        });
      case "release":
        return this.#serially(key, async () => {
          const entry = entryOf(await this.#storage.get(key));
          if (entry && entry.value.startsWith(PROCESSING) && (token === undefined || entry.value === PROCESSING + token)) await this.#storage.delete(key);
          return Response.json({ ok: true });
        });
      case "forget":
        return this.#serially(key, async () => {
          await this.#storage.delete(key);
          return Response.json({ ok: true });
        });
      case "seen":
        if (!positiveInteger(ttl)) break;
        return this.#serially(key, async () => {
          const now = Date.now();
          if (await this.#live(key, now)) return Response.json({ seen: true });
          await this.#put(key, DONE_VALUE, now + ttl * 1000);
          return Response.json({ seen: false });
        });
    }
    return new Response("bad op", { status: 400 });
  }

  /** Removes expired ids; re-arms for the next expiry (an interval from now at the soonest) while any remain. */
  async alarm() {
    const now = Date.now();
    let next = Infinity;
    const expired = [];
    for (const [key, stored] of await this.#storage.list({ prefix: "seen:" })) {
      const { expires } = entryOf(stored);
      if (expires <= now) expired.push(key);
      else next = Math.min(next, expires);
    }
    // delete() takes at most 128 keys at a time.
    for (let i = 0; i < expired.length; i += 128) await this.#storage.delete(expired.slice(i, i + 128));
    if (next !== Infinity) await this.#storage.setAlarm(Math.max(next, now + CLEANUP_INTERVAL_MS));
  }
}

/** The ids senders put in headers, in order: Standard Webhooks/formhook, svix, GitHub, Shopify. */
const ID_HEADERS = ["webhook-id", "svix-id", "x-github-delivery", "x-shopify-webhook-id"];

/**
 * A store written for the first interface (`seen(id, ttl)`, `forget(id)`), seen through the
 * claim interface. It has no in-progress state: a copy arriving while the first is handled is
 * answered as handled, and lost if that first attempt fails. Deprecated: implement claim,
 * complete and release.
 */
function legacyStore(store, ttl) {
  return {
    claim: async (id) => ((await store.seen(id, ttl)) === true ? DONE : CLAIMED),
    complete: async () => {},
    release: async (id) => {
      if (typeof store.forget === "function") await store.forget(id);
    },
  };
}

const isClaimStore = (store) => store && ["claim", "complete", "release"].every((name) => typeof store[name] === "function");
const isLegacyStore = (store) => store && typeof store.seen === "function";

/**
 * Normalises the `dedupe` option: a store, or `{ store, ttl, lease, key }` where `key({ headers,
 * payload, data })` returns the id to deduplicate on.
 */
export function dedupeConfig(option) {
  if (option === undefined || option === null || option === false) return undefined;
  const config = isClaimStore(option) || isLegacyStore(option) ? { store: option } : option;
  const store = config.store;
  if (!isClaimStore(store) && !isLegacyStore(store)) {
    throw new FormhookError("dedupe needs a store with claim(id, lease, token), complete(id, ttl, token) and release(id, token), e.g. memoryStore() or redisStore(client)", "invalid_store");
  }
  const ttl = config.ttl ?? DEFAULT_DEDUPE_TTL;
  checkTtl(ttl);
  const lease = config.lease ?? DEFAULT_DEDUPE_LEASE;
  checkLease(lease);
  if (config.key !== undefined && typeof config.key !== "function") throw new FormhookError("dedupe.key must be a function", "invalid_store");
  return { store: isClaimStore(store) ? store : legacyStore(store, ttl), ttl, lease, key: config.key };
}

/**
 * Called only after the signature verified: claims the message's id. Returns `{ id, state,
 * complete, release }` where state is "claimed" (handle it, then call `complete()`, or
 * `release()` if handling failed), "in_progress" or "done". Only the first of `complete` and
 * `release` acts.
 */
export async function claimMessage(config, { headers, payload, data, readHeader }) {
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
  const token = claimToken();
  const state = await config.store.claim(id, config.lease, token);
  if (!CLAIM_STATES.has(state)) {
    throw new FormhookError(`the dedupe store's claim() answered ${JSON.stringify(state)}, not "claimed", "in_progress" or "done"`, "invalid_store");
  }
  let settled = state !== CLAIMED;
  const settle = (operation) => async () => {
    if (settled) return;
    settled = true;
    await operation();
  };
  return {
    id,
    state,
    complete: settle(() => config.store.complete(id, config.ttl, token)),
    release: settle(() => config.store.release(id, token)),
  };
}
