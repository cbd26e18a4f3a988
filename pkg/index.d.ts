// Types for every build of the formhook package (node ESM/CJS, workerd, browser).

/** A request body as received: bytes are verified as they are; strings are UTF-8 encoded. */
export type Payload = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** Request headers: a Fetch `Headers`, a `Map`, or a plain object of any casing (Node's `req.headers`). */
export type HeadersLike =
  | { get(name: string): string | null | undefined }
  | Record<string, string | string[] | undefined>;

/** The schemes the core supports; aliases: `standard` and `svix` (standard-webhooks), `splitforms` (hex). */
export type SchemeName =
  | "standard-webhooks"
  | "github"
  | "gudform"
  | "hex"
  | "typeform"
  | "shopify"
  | "stripe"
  | "slack"
  | "standard"
  | "svix"
  | "splitforms";

/** Stable identifiers of verification failures. */
export type VerificationErrorCode =
  | "missing_headers"
  | "invalid_timestamp"
  | "timestamp_too_old"
  | "timestamp_too_new"
  | "invalid_signature_header"
  | "malformed_signature"
  | "no_matching_signature"
  | "no_secret"
  | "too_many_signatures";

/** Thrown when a webhook fails verification. Messages start with the `standardwebhooks` package's. */
export declare class WebhookVerificationError extends Error {
  constructor(message: string, code?: VerificationErrorCode | string);
  readonly name: "WebhookVerificationError";
  readonly code: VerificationErrorCode | string;
}

/** Stable identifiers of misuse errors. */
export type FormhookErrorCode =
  | "secret_invalid_encoding"
  | "secret_empty"
  | "secret_too_long"
  | "secret_bad_random_length"
  | "key_invalid_encoding"
  | "key_invalid_length"
  | "key_pair_mismatch"
  | "key_invalid_public_key"
  | "key_bad_seed_length"
  | "key_public_cannot_sign"
  | "key_ed25519_unsupported"
  | "unknown_scheme"
  | "invalid_payload";

/** Thrown for misuse: a bad secret, an unknown scheme, a payload that is not bytes or a string. */
export declare class FormhookError extends Error {
  constructor(message: string, code: FormhookErrorCode | string);
  readonly name: "FormhookError";
  readonly code: FormhookErrorCode | string;
}

export interface WebhookOptions {
  /** `"raw"`: the secret is the key itself (a string is taken byte per char), not `whsec_<base64>`. */
  format?: "raw";
  /** Seconds a timestamp may differ from now; default 300. */
  tolerance?: number;
}

export interface VerifyOptions {
  /** Parse the payload as JSON and return it (default true). */
  jsonParse?: boolean;
  /** The clock to check timestamps against: a Date or Unix seconds; default `Date.now()`. */
  now?: Date | number;
}

/** Header names of a Standard Webhooks message. */
export interface WebhookUnbrandedRequiredHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** Svix's header names, also accepted by `Webhook.verify`. */
export interface WebhookRequiredHeaders {
  "svix-id": string;
  "svix-timestamp": string;
  "svix-signature": string;
}

/**
 * A Standard Webhooks key as text: `whsec_<base64>` (HMAC, `v1`), `whpk_<base64>` (ed25519 public
 * key: verifies `v1a`) or `whsk_<base64>` (ed25519 secret key, 32 or 64 bytes: signs `v1a`).
 * `whpk_`/`whsk_` keys load the ed25519 wasm (Node: on first use; workerd and browsers: import
 * from `"formhook/ed25519"`).
 */
export type StandardWebhooksKey = `whsec_${string}` | `whpk_${string}` | `whsk_${string}` | string;

/** Standard Webhooks verifier and signer; a drop-in for `standardwebhooks`' `Webhook`. */
export declare class Webhook {
  static readonly prefix: "whsec_";
  /**
   * @param secret `whsec_…` or bare base64, `whpk_…` (verify `v1a`), `whsk_…` (sign `v1a`); raw
   *   bytes with `{format: "raw"}`; an array during rotation, kinds mixed freely.
   */
  constructor(secret: string | Uint8Array | Array<string | Uint8Array>, options?: WebhookOptions);
  /** Verifies and returns the parsed JSON payload (`undefined` if empty or `jsonParse: false`). */
  verify(
    payload: Payload,
    headers: WebhookUnbrandedRequiredHeaders | WebhookRequiredHeaders | HeadersLike,
    options?: VerifyOptions,
  ): unknown;
  /**
   * The `webhook-signature` value: `v1,<base64>` per `whsec_` secret and `v1a,<base64>` per
   * `whsk_` key, space-separated. Throws `FormhookError` (`key_public_cannot_sign`) with a `whpk_`.
   */
  sign(msgId: string, timestamp: Date | number, payload: Payload): string;
}

export interface SchemeOptions {
  format?: "raw";
  tolerance?: number;
  /** Read (or write) the signature from this header instead of the scheme's default. */
  header?: string;
}

export interface Verifier {
  readonly scheme: string;
  /** Returns true or throws `WebhookVerificationError`. */
  verify(payload: Payload, headers: HeadersLike, options?: { now?: Date | number }): true;
}

/** A verifier for any scheme, with its keys prepared once; pass several secrets during rotation. */
export declare function createVerifier(
  scheme: SchemeName,
  secrets: string | Uint8Array | Array<string | Uint8Array>,
  options?: SchemeOptions,
): Verifier;

/** Verifies one request in any scheme; returns true or throws `WebhookVerificationError`. */
export declare function verify(
  scheme: SchemeName,
  secrets: string | Uint8Array | Array<string | Uint8Array>,
  payload: Payload,
  headers: HeadersLike,
  options?: SchemeOptions & { now?: Date | number },
): true;

export interface SignInput {
  /** Message id (Standard Webhooks). */
  id?: string;
  /** Unix seconds or a Date; default now. */
  timestamp?: Date | number;
  payload: Payload;
  header?: string;
}

/** Signs a payload; returns the headers to send (signature, plus id/timestamp where the scheme has them). */
export declare function sign(
  scheme: SchemeName,
  secrets: string | Array<string>,
  input: SignInput,
): Record<string, string>;

/** A new `whsec_` secret from the platform CSPRNG (`bytes` between 24 and 64, default 32). */
export declare function generateSecret(bytes?: number): string;

/** An ed25519 key pair for Standard Webhooks `v1a`. */
export interface KeyPair {
  /** `whsk_<base64 of 64 bytes>` (seed, then public key): signs. Keep it secret. */
  secretKey: string;
  /** `whpk_<base64 of 32 bytes>`: verifies; safe to publish. */
  publicKey: string;
}

/** A new ed25519 key pair from the platform CSPRNG (loads the ed25519 wasm). */
export declare function generateKeyPair(): KeyPair;

/** The schemes of this build and the headers each uses (lowercase). */
export declare function listSchemes(): Array<{
  name: string;
  headers: { id?: string; timestamp?: string; signature: string };
}>;

/** The bytes of a payload, without copying views (their `byteOffset` is kept). */
export declare function toBytes(payload: Payload): Uint8Array;

/** The secrets argument: one secret, raw key bytes, or several during a rotation. */
export type Secrets = string | Uint8Array | Array<string | Uint8Array>;

/** Options of the receiving helpers (`verifyRequest`, `expressVerifier` and the adapters). */
export interface ReceiveOptions extends SchemeOptions {
  /** The clock to check timestamps against: a Date or Unix seconds; default `Date.now()`. */
  now?: Date | number;
  /**
   * Claim each verified message id in a store: a copy of a handled id is a duplicate (code
   * `duplicate`, answered 200), a copy of an id being handled is retryable (code
   * `duplicate_in_progress`, answered 409 with `Retry-After`). The store is consulted only after
   * the signature verified.
   */
  dedupe?: DedupeStore | LegacyDedupeStore | DedupeOptions;
  /** Adapters that read the body themselves: refuse larger bodies with 413 `body_too_large` (default 1 MiB). */
  limit?: number;
}

/** A verified request. With `dedupe`, also the message id and the ways to settle its claim. */
export interface Received {
  /** The body as received. */
  payload: Uint8Array;
  /** The parsed JSON body, or undefined if the body is empty or not JSON. */
  data: any;
  /** The message id claimed in the dedupe store (only with `dedupe`). */
  id?: string;
  /** Marks the id handled (for the TTL): call it once the event is processed (only with `dedupe`). */
  complete?: () => Promise<void>;
  /** Drops this request's claim so the sender's retry is handled: call it when processing failed (only with `dedupe`). */
  release?: () => Promise<void>;
  /** @deprecated The old name of `release`. */
  forget?: () => Promise<void>;
}

/**
 * Verifies a Fetch `Request` (Next.js App Router, Workers, Deno, Bun) and returns its body and parsed JSON. With
 * `dedupe`, claims the id (call `complete()` or `release()` when done) and throws `WebhookDuplicateError` for a
 * handled id (answer 200) or `WebhookInProgressError` for one being handled (answer 409 with `Retry-After`).
 */
export declare function verifyRequest(
  request: Request,
  scheme: SchemeName | Webhook,
  secrets?: Secrets,
  options?: ReceiveOptions,
): Promise<Received>;
export declare function verifyRequest(request: Request, webhook: Webhook, options: ReceiveOptions): Promise<Received>;

/**
 * Express middleware; mount after `express.raw({ type: "*\/*" })`. Sets `req.webhook` (and `req.webhookId` with
 * `dedupe`); failures get 400 `{error:{code,message}}`; without the handler, copies of a handled id get 200
 * `{ok, duplicate, id}`, copies of an id being handled 409 `duplicate_in_progress` with `Retry-After`.
 */
export declare function expressVerifier(
  scheme: SchemeName | Webhook,
  secrets?: Secrets,
  options?: ReceiveOptions,
): (req: any, res: any, next: (err?: unknown) => void) => void;
export declare function expressVerifier(webhook: Webhook, options: ReceiveOptions): (req: any, res: any, next: (err?: unknown) => void) => void;

/** Verifies a Node `IncomingMessage` (Next.js Pages Router with `bodyParser: false`, `node:http`), reading its raw body. */
export declare function verifyNodeRequest(
  req: any,
  scheme: SchemeName | Webhook,
  secrets?: Secrets,
  options?: ReceiveOptions,
): Promise<Received>;

/** A Next.js Pages Router API handler (or a `node:http` handler). */
export type NodeHandler = (req: any, res: any) => unknown;

/**
 * Wraps a Next.js Pages Router API route (export `config = { api: { bodyParser: false } }`). The handler sees
 * `req.webhook`, `req.webhookPayload`, `req.webhookId`; failures get 400, copies of a handled id 200, copies of
 * an id being handled 409 with `Retry-After`, neither calling it.
 */
export declare function nextPagesVerifier(
  scheme: SchemeName | Webhook,
  secrets?: Secrets,
  options?: ReceiveOptions,
): (handler: NodeHandler) => NodeHandler;

/** Hono middleware: sets `c.get("webhook")`, `c.get("webhookPayload")`, `c.get("webhookId")`. */
export declare function honoVerifier(
  scheme: SchemeName | Webhook,
  secrets?: Secrets,
  options?: ReceiveOptions,
): (c: any, next: () => Promise<void>) => Promise<Response | void>;

/** Koa middleware reading the raw stream: sets `ctx.state.webhook`, `ctx.state.webhookPayload`, `ctx.state.webhookId`. */
export declare function koaVerifier(
  scheme: SchemeName | Webhook,
  secrets?: Secrets,
  options?: ReceiveOptions,
): (ctx: any, next: () => Promise<unknown>) => Promise<void>;

/** Options of the Fastify plugin: the scheme and secrets plus the usual options. */
export interface FastifyVerifierOptions extends ReceiveOptions {
  scheme: SchemeName | Webhook;
  secrets?: Secrets;
}

/**
 * Fastify plugin (applies to the scope it is registered in): keeps bodies as bytes, verifies in
 * `preHandler`, sets `request.webhook` and `request.webhookId`.
 */
export declare function fastifyVerifier(scope: any, options: FastifyVerifierOptions, done: (err?: Error) => void): void;

/** Five days in seconds: the default dedupe TTL, the sender's whole retry window. */
export declare const DEFAULT_DEDUPE_TTL: number;

/** Sixty seconds: the default lease of a claim while its handler runs; a crashed handler's id is free after it. */
export declare const DEFAULT_DEDUPE_LEASE: number;

/**
 * What `claim` answers: `"claimed"` (this request handles it), `"in_progress"` (another request holds
 * the id; answer 409 so the sender retries) or `"done"` (handled; answer 200 duplicate).
 */
export type ClaimState = "claimed" | "in_progress" | "done";

/**
 * Where verified message ids are kept, in progress (for a lease) or handled (for the TTL). Every
 * built-in store is atomic except `kvStore` (best-effort). The rules:
 * - `claim` records the id as in progress under `token` for `leaseSeconds` unless the store holds it.
 * - `complete` marks it handled for `ttlSeconds`, whoever holds it (a late complete still records the fact).
 * - `release` drops the claim made with `token` only: never a handled id, never a later claim.
 */
export interface DedupeStore {
  claim(id: string, leaseSeconds: number, token: string): ClaimState | Promise<ClaimState>;
  complete(id: string, ttlSeconds: number, token: string): void | Promise<void>;
  release(id: string, token: string): void | Promise<void>;
}

/**
 * @deprecated The first store interface: `seen` records the id as handled at once, so a copy arriving
 * while the first is still handled is answered as a duplicate and lost if that first attempt fails.
 * Implement `DedupeStore` instead.
 */
export interface LegacyDedupeStore {
  seen(id: string, ttlSeconds: number): boolean | Promise<boolean>;
  /** Removes `id` (its handler failed, so a retry must be processed). */
  forget?(id: string): void | Promise<void>;
}

export interface DedupeOptions {
  store: DedupeStore | LegacyDedupeStore;
  /** Seconds a handled id is remembered; default `DEFAULT_DEDUPE_TTL` (5 days). */
  ttl?: number;
  /** Seconds a claim holds an id while its handler runs; default `DEFAULT_DEDUPE_LEASE` (60). Longer than your slowest handler. */
  lease?: number;
  /** The id to deduplicate on; default the `webhook-id`, `svix-id`, `x-github-delivery` or `x-shopify-webhook-id` header. */
  key?: (message: { headers: HeadersLike; payload: Uint8Array; data: any }) => string | Promise<string>;
}

/** Thrown by `verifyRequest` / `verifyNodeRequest` with `dedupe` for a verified message whose id was already handled: answer 200. */
export declare class WebhookDuplicateError extends Error {
  constructor(id: string);
  readonly name: "WebhookDuplicateError";
  readonly code: "duplicate";
  readonly id: string;
}

/**
 * Thrown by `verifyRequest` / `verifyNodeRequest` with `dedupe` for a verified message whose id another request
 * is handling: answer 409 with `Retry-After: retryAfter`, so the sender retries (that attempt may still fail).
 */
export declare class WebhookInProgressError extends Error {
  constructor(id: string, retryAfter?: number);
  readonly name: "WebhookInProgressError";
  readonly code: "duplicate_in_progress";
  readonly id: string;
  /** Seconds to send in `Retry-After` (5). */
  readonly retryAfter: number;
}

/** An in-process, bounded LRU store with an expiry per id (at most `max` ids, default 100,000). */
export declare function memoryStore(options?: { max?: number; clock?: () => number }): MemoryStore;

/** What `memoryStore` returns: synchronous, with the number of ids it holds. */
export interface MemoryStore {
  readonly kind: "memory";
  claim(id: string, leaseSeconds?: number, token?: string): ClaimState;
  complete(id: string, ttlSeconds?: number, token?: string): void;
  /** Drops the claim made with `token` (any claim without one); never a handled id. */
  release(id: string, token?: string): void;
  /** Drops the id whatever its state (an operator replaying an event on purpose). */
  forget(id: string): void;
  /** @deprecated Records the id as handled at once and answers whether it was known; use claim/complete. */
  seen(id: string, ttlSeconds?: number): boolean;
  readonly size: number;
}

/** What the asynchronous stores (`redisStore`, `kvStore`, `durableObjectStore`) return. */
export interface AsyncStore<Kind extends string> {
  readonly kind: Kind;
  claim(id: string, leaseSeconds?: number, token?: string): Promise<ClaimState>;
  complete(id: string, ttlSeconds?: number, token?: string): Promise<void>;
  /** Drops the claim made with `token` (any claim without one); never a handled id. */
  release(id: string, token?: string): Promise<void>;
  /** Drops the id whatever its state (an operator replaying an event on purpose). */
  forget(id: string): Promise<void>;
  /** @deprecated Records the id as handled at once and answers whether it was known; use claim/complete. */
  seen(id: string, ttlSeconds?: number): Promise<boolean>;
}

/** A connected client of the `redis` (node-redis v4+) or `ioredis` package. */
export type RedisClientLike =
  | { sendCommand(args: string[]): Promise<unknown> }
  | { call(command: string, ...args: string[]): Promise<unknown> };

/** Redis, atomic across processes: claims and releases are Lua scripts, `complete` is `SET <prefix><id> done EX <ttl>`. */
export declare function redisStore(client: RedisClientLike, options?: { prefix?: string }): AsyncStore<"redis">;

/** A Workers KV namespace binding. */
export interface KVNamespaceLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Cloudflare Workers KV. Best-effort, NOT atomic: KV has no compare-and-set and is eventually consistent. */
export declare function kvStore(namespace: KVNamespaceLike, options?: { prefix?: string }): AsyncStore<"kv">;

/** A Durable Object namespace binding whose class is `DedupeDurableObject`. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): any;
  get(id: any): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/** Atomic store on Cloudflare: ids live in `DedupeDurableObject` instances (`shards` of them, default 1). */
export declare function durableObjectStore(
  namespace: DurableObjectNamespaceLike,
  options?: { shards?: number; name?: string },
): AsyncStore<"durable-object">;

/** The Durable Object class behind `durableObjectStore`: export it from your Worker and bind it. */
export declare class DedupeDurableObject {
  constructor(state: { storage: any }, env?: unknown);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}

/** Installs a wasm-bindgen backend; used by the package's own entry points. */
export declare function setBackend(glue: unknown): void;

/** Installs the ed25519 backend (or a function loading it on first use); used by the entry points. */
export declare function setEd25519Backend(glueOrLoader: unknown): void;
