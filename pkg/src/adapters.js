// Framework adapters that keep the body as the bytes that were signed. Each converts its
// framework's request and response to the shared pipeline (verify, parse, then dedupe) and its
// errors to answers; no rule lives here. None imports its framework: they only use the objects
// the framework hands them, so the package has no framework dependency.

import { FormhookError, WebhookVerificationError } from "./errors.js";
import { dedupeConfig } from "./dedupe.js";
import { argumentsOf, inProgressAnswer, receive, received, settleOnClose, toBytes, verifierFor } from "./api.js";

/** Bodies larger than this are refused with 413 `body_too_large` (option `limit`). */
const DEFAULT_LIMIT = 1024 * 1024;

const isOk = (status) => status >= 200 && status < 300;

function setup(schemeOrWebhook, secretsOrOptions, maybeOptions) {
  const { secrets, options } = argumentsOf(schemeOrWebhook, secretsOrOptions, maybeOptions);
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit <= 0) throw new FormhookError("limit must be a positive number of bytes", "invalid_limit");
  return { verifier: verifierFor(schemeOrWebhook, secrets, options), dedupe: dedupeConfig(options.dedupe), options, limit };
}

/** The answer for an error of the pipeline, or undefined for errors that are the app's to handle. */
function answerFor(error) {
  if (error instanceof WebhookVerificationError) return { status: 400, body: { error: { code: error.code, message: error.message } } };
  if (error instanceof FormhookError && error.code === "body_too_large") return { status: 413, body: { error: { code: error.code, message: error.message } } };
  if (error instanceof FormhookError && error.code === "body_not_raw") return { status: 500, body: { error: { code: error.code, message: error.message } } };
  return undefined;
}

/**
 * The answer for a copy that must not reach the handler: 200 `{ ok, duplicate, id }` for an id
 * already handled, 409 `duplicate_in_progress` with `Retry-After` for one being handled now (that
 * attempt may still fail, so the sender must try again); undefined for a claimed id.
 */
function copyAnswer({ id, state }) {
  if (state === "done") return { status: 200, headers: {}, body: { ok: true, duplicate: true, id } };
  if (state === "in_progress") return inProgressAnswer(id);
  return undefined;
}

/** Completes the claim if the handler succeeded, releases it otherwise; never throws. */
async function settle({ complete, release }, ok) {
  try {
    await (ok ? complete() : release());
  } catch {
    // The answer stands either way: the store's lease is the backstop for a claim left behind.
  }
}

function concat(chunks, size) {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * The raw bytes of a Node `IncomingMessage`, at most `limit` of them. A body that a framework
 * already parsed cannot be turned back into the signed bytes: that is `body_not_raw`.
 */
function readNodeBody(req, parsedBody, limit) {
  if (parsedBody instanceof Uint8Array) return Promise.resolve(parsedBody);
  if (parsedBody !== undefined && parsedBody !== null) {
    return Promise.reject(new FormhookError("the body was parsed before the formhook verifier; turn the body parser off for this route so the bytes stay as signed", "body_not_raw"));
  }
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      const bytes = typeof chunk === "string" ? toBytes(chunk) : chunk;
      size += bytes.length;
      // Past the limit, keep draining (so the answer can still be sent) but keep nothing.
      if (size <= limit) chunks.push(bytes);
    });
    req.once("end", () => {
      if (size > limit) reject(new FormhookError(`the body is larger than ${limit} bytes`, "body_too_large"));
      else resolve(concat(chunks, size));
    });
    req.once("error", reject);
  });
}

/** Sends a JSON answer on a Node `ServerResponse` (plain node:http, Next.js Pages Router). */
function sendJson(res, status, body, headers = {}) {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.end(JSON.stringify(body));
}

/**
 * Verifies a Node `IncomingMessage` (Next.js Pages Router with `bodyParser: false`, plain
 * `node:http`) and returns `{ payload, data }` (plus `id`, `complete`, `release` with `dedupe`:
 * call `complete()` once the event is handled, `release()` if handling failed); throws
 * `WebhookVerificationError`, `WebhookDuplicateError` (code `duplicate`: answer 200),
 * `WebhookInProgressError` (code `duplicate_in_progress`: answer 409 with `Retry-After`) or
 * `FormhookError` (`body_too_large`, `body_not_raw`).
 */
export async function verifyNodeRequest(req, schemeOrWebhook, secretsOrOptions, maybeOptions) {
  const { verifier, dedupe, options, limit } = setup(schemeOrWebhook, secretsOrOptions, maybeOptions);
  const payload = await readNodeBody(req, req.body, limit);
  return received(dedupe, payload, await receive(verifier, dedupe, payload, req.headers, options));
}

/**
 * Next.js Pages Router API route wrapper (also plain `node:http`). The route must export
 * `config = { api: { bodyParser: false } }` so Next.js leaves the bytes alone. Sets `req.webhook`
 * (parsed JSON), `req.webhookPayload` (bytes) and, with `dedupe`, `req.webhookId`; failures get
 * 400 `{ error: { code, message } }`; without calling the handler, copies of a handled id get
 * 200 `{ ok, duplicate, id }`, copies of an id being handled 409 `duplicate_in_progress`.
 */
export function nextPagesVerifier(schemeOrWebhook, secretsOrOptions, maybeOptions) {
  const { verifier, dedupe, options, limit } = setup(schemeOrWebhook, secretsOrOptions, maybeOptions);
  return (handler) =>
    async function formhookPagesRoute(req, res) {
      let result;
      let payload;
      try {
        payload = await readNodeBody(req, req.body, limit);
        result = await receive(verifier, dedupe, payload, req.headers, options);
      } catch (e) {
        const answer = answerFor(e);
        if (!answer) throw e;
        return sendJson(res, answer.status, answer.body);
      }
      const copy = copyAnswer(result);
      if (copy) return sendJson(res, copy.status, copy.body, copy.headers);
      req.webhook = result.data;
      req.webhookPayload = payload;
      if (dedupe) {
        req.webhookId = result.id;
        settleOnClose(res, result);
      }
      return handler(req, res);
    };
}

/**
 * Hono middleware: reads the body as bytes (Hono caches them, so `c.req.json()` still works
 * after it). Sets `c.get("webhook")`, `c.get("webhookPayload")` and, with `dedupe`,
 * `c.get("webhookId")`; failures get 400 `{ error: { code, message } }`; without running the
 * handler, copies of a handled id get 200 `{ ok, duplicate, id }`, copies of an id being handled
 * 409 `duplicate_in_progress` with `Retry-After`.
 */
export function honoVerifier(schemeOrWebhook, secretsOrOptions, maybeOptions) {
  const { verifier, dedupe, options, limit } = setup(schemeOrWebhook, secretsOrOptions, maybeOptions);
  return async function formhookHono(c, next) {
    let result;
    const payload = new Uint8Array(await c.req.arrayBuffer());
    try {
      if (payload.length > limit) throw new FormhookError(`the body is larger than ${limit} bytes`, "body_too_large");
      result = await receive(verifier, dedupe, payload, c.req.raw.headers, options);
    } catch (e) {
      const answer = answerFor(e);
      if (!answer) throw e;
      return c.json(answer.body, answer.status);
    }
    const copy = copyAnswer(result);
    if (copy) return c.json(copy.body, copy.status, copy.headers);
    c.set("webhook", result.data);
    c.set("webhookPayload", payload);
    if (dedupe) c.set("webhookId", result.id);
    try {
      await next();
    } catch (e) {
      await settle(result, false);
      throw e;
    }
    // Hono turns a throwing handler into `c.error` plus an error response.
    await settle(result, !c.error && isOk(c.res.status));
  };
}

/**
 * Koa middleware: reads the raw request stream (mount no body parser before it on this route).
 * Sets `ctx.state.webhook`, `ctx.state.webhookPayload` and, with `dedupe`, `ctx.state.webhookId`;
 * failures get 400 `{ error: { code, message } }`; without running the next middleware, copies
 * of a handled id get 200 `{ ok, duplicate, id }`, copies of an id being handled 409
 * `duplicate_in_progress` with `Retry-After`.
 */
export function koaVerifier(schemeOrWebhook, secretsOrOptions, maybeOptions) {
  const { verifier, dedupe, options, limit } = setup(schemeOrWebhook, secretsOrOptions, maybeOptions);
  return async function formhookKoa(ctx, next) {
    let result;
    let payload;
    try {
      payload = await readNodeBody(ctx.req, ctx.request.body, limit);
      result = await receive(verifier, dedupe, payload, ctx.req.headers, options);
    } catch (e) {
      const answer = answerFor(e);
      if (!answer) throw e;
      ctx.status = answer.status;
      ctx.body = answer.body;
      return;
    }
    const copy = copyAnswer(result);
    if (copy) {
      ctx.status = copy.status;
      ctx.set(copy.headers);
      ctx.body = copy.body;
      return;
    }
    ctx.state.webhook = result.data;
    ctx.state.webhookPayload = payload;
    if (dedupe) ctx.state.webhookId = result.id;
    try {
      await next();
    } catch (e) {
      await settle(result, false);
      throw e;
    }
    await settle(result, isOk(ctx.status));
  };
}

const kClaim = Symbol("formhook.claim");

/**
 * Fastify plugin: `scope.register(fastifyVerifier, { scheme, secrets, ...options })`. It applies
 * to the scope it is registered in (like a `fastify-plugin`): it replaces that scope's body
 * parsers with one that keeps the bytes, and verifies in `preHandler`. Register it inside
 * `app.register(async (scope) => …)` with the webhook routes so other routes keep their JSON
 * parsing. Sets `request.webhook` and, with `dedupe`, `request.webhookId`; failures get 400
 * `{ error: { code, message } }`; copies of a handled id get 200 `{ ok, duplicate, id }`, copies
 * of an id being handled 409 `duplicate_in_progress` with `Retry-After`.
 */
function fastifyPlugin(scope, pluginOptions, done) {
  const { scheme, secrets, ...rest } = pluginOptions ?? {};
  const { verifier, dedupe, options, limit } = setup(scheme, secrets, rest);
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: limit }, (request, body, parsed) => parsed(null, body));
  if (!scope.hasRequestDecorator("webhook")) scope.decorateRequest("webhook", null);
  if (!scope.hasRequestDecorator("webhookId")) scope.decorateRequest("webhookId", null);
  scope.addHook("preHandler", async (request, reply) => {
    const payload = request.body instanceof Uint8Array ? request.body : new Uint8Array(0);
    let result;
    try {
      result = await receive(verifier, dedupe, payload, request.headers, options);
    } catch (e) {
      const answer = answerFor(e);
      if (!answer) throw e;
      return reply.code(answer.status).send(answer.body);
    }
    const copy = copyAnswer(result);
    if (copy) return reply.code(copy.status).headers(copy.headers).send(copy.body);
    request.webhook = result.data;
    if (dedupe) {
      request.webhookId = result.id;
      request[kClaim] = result;
    }
  });
  if (dedupe) {
    // After the answer went out (a handler that threw was answered 500 by then).
    scope.addHook("onResponse", async (request, reply) => {
      if (request[kClaim]) await settle(request[kClaim], isOk(reply.statusCode));
    });
  }
  done();
}

// Fastify's own markers (what `fastify-plugin` sets): apply to the registering scope. Set inside a
// pure call so bundlers can still drop the plugin from apps that do not use it.
function markAsFastifyPlugin(plugin) {
  plugin[Symbol.for("skip-override")] = true;
  plugin[Symbol.for("fastify.display-name")] = "formhook";
  return plugin;
}

export const fastifyVerifier = /* @__PURE__ */ markAsFastifyPlugin(fastifyPlugin);
