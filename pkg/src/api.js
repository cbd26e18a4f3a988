// The JavaScript face of the formhook core. Every rule (key derivation, header formats, timestamp
// checks, constant-time comparison) lives in the Rust core compiled to wasm; this file converts
// types and errors. Payloads cross into wasm as bytes; JSON is parsed here, where JSON.parse is
// fastest.

import { ed25519Backend, isEd25519Key } from "./ed25519.js";
import { FormhookError, WebhookVerificationError } from "./errors.js";
import { claimMessage, dedupeConfig, WebhookDuplicateError, WebhookInProgressError } from "./dedupe.js";

export { generateKeyPair, setEd25519Backend } from "./ed25519.js";
export { FormhookError, WebhookVerificationError };

let wasm;
let schemes;

/** Installs the wasm-bindgen glue of one build (called once by each entry point). */
export function setBackend(glue) {
  wasm = glue;
  schemes = undefined;
}

function errorFromId(id, ErrorClass) {
  const [code, message] = wasm.errorInfo(id).split("\t");
  return new ErrorClass(message, code);
}

// wasm throws a numeric error id for bad secrets or schemes; turn it into a FormhookError.
function callWasm(fn) {
  try {
    return fn();
  } catch (e) {
    if (typeof e === "number") throw errorFromId(e, FormhookError);
    throw e;
  }
}

function schemeTable() {
  if (!schemes) {
    schemes = new Map();
    const lines = wasm.schemeTable().trim().split("\n");
    lines.forEach((line, index) => {
      const [name, id, timestamp, signature, altId, altTimestamp, altSignature] = line
        .split(" ")
        .map((v) => (v === "-" ? undefined : v));
      // alt*: the names some senders use instead (svix-*, Shopify's unprefixed header), read
      // when the usual ones are absent.
      schemes.set(name, { index, name, id, timestamp, signature, altId, altTimestamp, altSignature });
    });
    for (const [alias, name] of [["standard", "standard-webhooks"], ["svix", "standard-webhooks"], ["splitforms", "hex"]]) {
      schemes.set(alias, schemes.get(name));
    }
  }
  return schemes;
}

function lookupScheme(name) {
  const scheme = schemeTable().get(name);
  if (!scheme) {
    const known = [...new Set([...schemeTable().values()].map((s) => s.name))].join(", ");
    throw new FormhookError(`unknown signature scheme "${name}" (known: ${known})`, "unknown_scheme");
  }
  return scheme;
}

/** The schemes this build supports, with the headers each reads and writes. */
export function listSchemes() {
  return [...new Set(schemeTable().values())].map(({ name, id, timestamp, signature }) => ({
    name,
    headers: { id, timestamp, signature },
  }));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes of a payload without copying views: strings are UTF-8 encoded, views keep their offset. */
export function toBytes(payload) {
  if (typeof payload === "string") return encoder.encode(payload);
  if (payload instanceof Uint8Array) return payload;
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  throw new FormhookError("payload must be a string, Buffer, Uint8Array, ArrayBuffer or ArrayBuffer view", "invalid_payload");
}

// One header from a Fetch `Headers`, a Map, or a plain record (Node's lowercase
// IncomingHttpHeaders, or any casing). Repeated values are joined with `separator`.
export function readHeader(headers, name, separator) {
  if (!headers || !name) return undefined;
  let value;
  if (typeof headers.get === "function") {
    value = headers.get(name);
  } else {
    value = headers[name];
    if (value === undefined) {
      for (const key of Object.keys(headers)) {
        if (key.length === name.length && key.toLowerCase() === name) {
          value = headers[key];
          break;
        }
      }
    }
  }
  if (Array.isArray(value)) value = value.join(separator);
  return value == null ? undefined : String(value);
}

function nowSeconds(now) {
  const ms = now === undefined ? Date.now() : now instanceof Date ? now.getTime() : Number(now) * 1000;
  return Math.floor(ms / 1000);
}

function secondsOf(timestamp) {
  return timestamp instanceof Date ? Math.floor(timestamp.getTime() / 1000) : Math.floor(Number(timestamp));
}

const DEFAULT_TOLERANCE = 300;

// The keys of one scheme: every secret given (rotation) turned into a key inside wasm. A set
// holding a whpk_/whsk_ key (Standard Webhooks v1a) lives in the ed25519 wasm, loaded then.
function makeKeys(scheme, secrets, raw) {
  const list = Array.isArray(secrets) ? secrets : [secrets];
  if (list.length === 0) throw new FormhookError("at least one secret is required", "secret_empty");
  const needsEd25519 = !raw && scheme.name === "standard-webhooks" && list.some(isEd25519Key);
  const backend = needsEd25519 ? ed25519Backend() : wasm;
  const keys = callWasm(() => new backend.Keys(scheme.index));
  for (const secret of list) {
    if (raw || secret instanceof Uint8Array) {
      const bytes = secret instanceof Uint8Array ? secret : Uint8Array.from(String(secret), (c) => c.charCodeAt(0));
      callWasm(() => keys.addRaw(bytes));
    } else if (typeof secret === "string") {
      callWasm(() => keys.add(secret));
    } else {
      throw new FormhookError("Expected secret to be of type string", "invalid_secret");
    }
  }
  return keys;
}

function parseJson(payload, bytes, jsonParse) {
  if (jsonParse === false) return undefined;
  const text = typeof payload === "string" ? payload : decoder.decode(bytes);
  return text === "" ? undefined : JSON.parse(text);
}

/**
 * Verifies Standard Webhooks messages: a drop-in for the `standardwebhooks` package's `Webhook`
 * (and svix's, whose `svix-*` headers it also reads).
 */
export class Webhook {
  static prefix = "whsec_";
  #keys;
  #tolerance;

  /**
   * @param secret `whsec_…` (or bare base64), raw bytes with `{format: "raw"}`, or an array of
   *   secrets during rotation.
   */
  constructor(secret, options = {}) {
    this.#keys = makeKeys(lookupScheme("standard-webhooks"), secret, options.format === "raw");
    this.#tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  }

  /** Verifies and returns the parsed JSON payload (undefined for an empty one); throws WebhookVerificationError. */
  verify(payload, headers, options = {}) {
    const bytes = toBytes(payload);
    const id = readHeader(headers, "webhook-id", ",") ?? readHeader(headers, "svix-id", ",");
    const timestamp = readHeader(headers, "webhook-timestamp", ",") ?? readHeader(headers, "svix-timestamp", ",");
    const signature = readHeader(headers, "webhook-signature", " ") ?? readHeader(headers, "svix-signature", " ");
    const result = this.#keys.verify(bytes, id, timestamp, signature, nowSeconds(options.now), this.#tolerance);
    if (result !== 0) throw errorFromId(result, WebhookVerificationError);
    return parseJson(payload, bytes, options.jsonParse);
  }

  /**
   * `v1,<base64>` per `whsec_` secret and `v1a,<base64>` per `whsk_` key, for `msgId`,
   * `timestamp` (a Date or Unix seconds) and `payload`. A `whpk_` public key cannot sign.
   */
  sign(msgId, timestamp, payload) {
    return callWasm(() => this.#keys.sign(String(msgId), secondsOf(timestamp), toBytes(payload)));
  }
}

/**
 * A reusable verifier for any scheme; keys are prepared once. Standard Webhooks keys may be
 * `whsec_` secrets and `whpk_`/`whsk_` ed25519 keys, mixed. Senders' other header names are read
 * when the usual ones are absent (svix-* for "standard-webhooks"/"svix", Shopify's unprefixed
 * shopify-hmac-sha256).
 * @param scheme "standard-webhooks" (or "svix"), "github", "gudform", "hex" (splitforms), "typeform", "shopify", "stripe", "slack"
 */
export function createVerifier(scheme, secrets, options = {}) {
  const info = lookupScheme(scheme);
  const keys = makeKeys(info, secrets, options.format === "raw");
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const customHeader = options.header?.toLowerCase();
  const signatureHeader = customHeader ?? info.signature;
  const altSignatureHeader = customHeader ? undefined : info.altSignature;
  const separator = info.name === "stripe" ? "," : " ";
  return {
    scheme: info.name,
    verify(payload, headers, verifyOptions = {}) {
      const bytes = toBytes(payload);
      const result = keys.verify(
        bytes,
        readHeader(headers, info.id, ",") ?? readHeader(headers, info.altId, ","),
        readHeader(headers, info.timestamp, ",") ?? readHeader(headers, info.altTimestamp, ","),
        readHeader(headers, signatureHeader, separator) ?? readHeader(headers, altSignatureHeader, separator),
        nowSeconds(verifyOptions.now),
        tolerance,
      );
      if (result !== 0) throw errorFromId(result, WebhookVerificationError);
      return true;
    },
  };
}

/** Verifies one request in any scheme; returns true or throws WebhookVerificationError. */
export function verify(scheme, secrets, payload, headers, options = {}) {
  return createVerifier(scheme, secrets, options).verify(payload, headers, options);
}

/**
 * Signs a payload and returns the headers to send: the signature header, plus the id and
 * timestamp headers where the scheme has them.
 */
export function sign(scheme, secrets, { id = "", timestamp = Date.now() / 1000, payload, header } = {}) {
  const info = lookupScheme(scheme);
  const keys = makeKeys(info, secrets, false);
  const seconds = secondsOf(timestamp);
  const headers = {};
  if (info.id) headers[info.id] = String(id);
  if (info.timestamp) headers[info.timestamp] = String(seconds);
  headers[header?.toLowerCase() ?? info.signature] = callWasm(() => keys.sign(String(id), seconds, toBytes(payload)));
  return headers;
}

/** A new `whsec_` secret from the platform's CSPRNG. */
export function generateSecret(bytes = 32) {
  const random = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(random);
  return callWasm(() => wasm.generateSecret(random));
}

export function verifierFor(schemeOrWebhook, secrets, options) {
  if (schemeOrWebhook instanceof Webhook) {
    return { verify: (payload, headers, o) => schemeOrWebhook.verify(payload, headers, { ...o, jsonParse: false }) };
  }
  return createVerifier(schemeOrWebhook, secrets, options);
}

// `verifyRequest(request, webhook, { dedupe })`: with a Webhook instance there are no secrets, so
// a plain object in their place is the options.
export function argumentsOf(schemeOrWebhook, secrets, options) {
  if (schemeOrWebhook instanceof Webhook && secrets && typeof secrets === "object" && !Array.isArray(secrets) && !(secrets instanceof Uint8Array)) {
    return { secrets: undefined, options: secrets };
  }
  return { secrets, options: options ?? {} };
}

const nothing = async () => {};

/**
 * Verifies, parses, and only then claims the id in the dedupe store: a request that fails
 * verification never reaches the store. Returns `{ data, id, state, complete, release }`; state
 * is "claimed" (or undefined without dedupe), "in_progress" or "done".
 */
export async function receive(verifier, dedupe, payload, headers, options) {
  verifier.verify(payload, headers, options);
  const data = tryParse(payload);
  if (!dedupe) return { data, id: undefined, state: undefined, complete: nothing, release: nothing };
  const { id, state, complete, release } = await claimMessage(dedupe, { headers, payload, data, readHeader });
  return { data, id, state, complete, release };
}

/** Throws the error for a copy that must not be handled: handled before, or in progress now. */
export function throwUnlessClaimed({ id, state }) {
  if (state === "done") throw new WebhookDuplicateError(id);
  if (state === "in_progress") throw new WebhookInProgressError(id);
}

/**
 * Verifies a Fetch API `Request` (Next.js App Router, Workers, Deno, Bun) and returns
 * `{ payload, data }`: the raw bytes and the parsed JSON (undefined if the body is not JSON).
 * Usage: `await verifyRequest(request, "standard-webhooks", secret)` or `verifyRequest(request, webhook)`.
 * With `{ dedupe: store }` the id is claimed for you: it also returns `id`, `complete()` (call it
 * once the event is handled) and `release()` (call it when handling failed, so the sender's
 * retry is handled). It throws `WebhookDuplicateError` (code `duplicate`) for an id already
 * handled: answer 200; and `WebhookInProgressError` (code `duplicate_in_progress`) for an id
 * another request is handling: answer 409 with `Retry-After`, so the sender tries again.
 */
export async function verifyRequest(request, schemeOrWebhook, secretsOrOptions, maybeOptions) {
  const { secrets, options } = argumentsOf(schemeOrWebhook, secretsOrOptions, maybeOptions);
  const verifier = verifierFor(schemeOrWebhook, secrets, options);
  const dedupe = dedupeConfig(options.dedupe);
  const payload = new Uint8Array(await request.arrayBuffer());
  const result = await receive(verifier, dedupe, payload, request.headers, options);
  return received(dedupe, payload, result);
}

/** What verifyRequest and verifyNodeRequest return; `forget` is the deprecated name of `release`. */
export function received(dedupe, payload, result) {
  if (!dedupe) return { payload, data: result.data };
  throwUnlessClaimed(result);
  const { data, id, complete, release } = result;
  return { payload, data, id, complete, release, forget: release };
}

export function tryParse(bytes) {
  try {
    return bytes.length === 0 ? undefined : JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}

/**
 * Settles a Node response's claim when the response closes: `complete()` if the handler answered
 * 2xx, `release()` on any other status or a connection closed before the answer, so the sender's
 * retry is handled.
 */
export function settleOnClose(res, { complete, release }) {
  res.once("close", () => {
    const ok = res.writableFinished && res.statusCode >= 200 && res.statusCode < 300;
    // Nothing to report to: the answer is already gone. The lease is the backstop.
    (ok ? complete() : release()).catch(() => {});
  });
}

/** The 409 answer for a copy whose id another request is handling: retryable, never a success. */
export function inProgressAnswer(id) {
  const error = new WebhookInProgressError(id);
  return {
    status: 409,
    headers: { "retry-after": String(error.retryAfter) },
    body: { error: { code: error.code, message: error.message }, id },
  };
}

/**
 * Express middleware; mount after `express.raw({ type: "*\/*" })` so the body stays bytes.
 * On success `req.webhook` holds the parsed JSON and `next()` runs; on failure it answers
 * 400 `{ error: { code, message } }` (500 if the body was already parsed as something else).
 * With `{ dedupe: store }` an id already handled is answered 200 `{ ok, duplicate, id }`, an id
 * another request is handling 409 `duplicate_in_progress` with `Retry-After`, and in both cases
 * the handler does not run; an id whose handler answers non-2xx is released again.
 */
export function expressVerifier(schemeOrWebhook, secretsOrOptions, maybeOptions) {
  const { secrets, options } = argumentsOf(schemeOrWebhook, secretsOrOptions, maybeOptions);
  const verifier = verifierFor(schemeOrWebhook, secrets, options);
  const dedupe = dedupeConfig(options.dedupe);
  return function formhookVerify(req, res, next) {
    if (!(req.body instanceof Uint8Array)) {
      res.status(500).json({ error: { code: "body_not_raw", message: "mount express.raw() before the formhook verifier so the body stays bytes" } });
      return;
    }
    receive(verifier, dedupe, req.body, req.headers, options).then(
      (result) => {
        const { data, id, state } = result;
        if (state === "done") {
          res.status(200).json({ ok: true, duplicate: true, id });
          return;
        }
        if (state === "in_progress") {
          const answer = inProgressAnswer(id);
          res.status(answer.status).set(answer.headers).json(answer.body);
          return;
        }
        req.webhook = data;
        if (dedupe) {
          req.webhookId = id;
          settleOnClose(res, result);
        }
        next();
      },
      (e) => {
        if (!(e instanceof WebhookVerificationError)) return next(e);
        res.status(400).json({ error: { code: e.code, message: e.message } });
      },
    );
  };
}
