// A real HTTP receiver on 127.0.0.1 for the worker tests: records every request, verifies its
// signature with the built npm package, and answers as the test scripts it to.
import http from "node:http";
import { Webhook, verify as verifyScheme } from "../../pkg/dist/node.mjs";

/**
 * `respond(request, n)` decides each answer: `{status, headers?, body?}`, `{delay, status}`,
 * `{hang: true}` (never answer) or `{destroy: true}` (close the connection). Default 200.
 */
export async function startReceiver({ respond = () => ({ status: 200 }), scheme = "standard-webhooks" } = {}) {
  const state = { secrets: [], requests: [], respond, scheme };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const record = { method: req.method, path: req.url, headers: req.headers, body, at: Date.now(), verified: false, error: undefined };
      try {
        if (state.scheme === "standard-webhooks") new Webhook(state.secrets[0]).verify(body, req.headers);
        else verifyScheme(state.scheme, state.secrets, body, req.headers);
        record.verified = true;
      } catch (e) {
        record.error = e.code ?? String(e);
      }
      try {
        record.json = JSON.parse(body);
      } catch {}
      state.requests.push(record);
      const answer = state.respond(record, state.requests.length) ?? { status: 200 };
      if (answer.destroy) return req.socket.destroy();
      if (answer.hang) return;
      const send = () => {
        res.writeHead(answer.status ?? 200, answer.headers ?? {});
        res.end(answer.body ?? "ok");
      };
      answer.delay ? setTimeout(send, answer.delay) : send();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}/hook`;
  return {
    url,
    state,
    get requests() {
      return state.requests;
    },
    /** The secret(s) to verify with (the endpoint's, known once it is created). */
    setSecrets(...secrets) {
      state.secrets = secrets;
    },
    setRespond(fn) {
      state.respond = fn;
    },
    async waitFor(predicate, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const hit = state.requests.filter(predicate);
        if (hit.length) return hit;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`receiver ${url}: no matching request within ${timeoutMs} ms (got ${state.requests.length})`);
    },
    async waitForCount(predicate, count, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (state.requests.filter(predicate).length >= count) return state.requests.filter(predicate);
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`receiver ${url}: fewer than ${count} matching requests within ${timeoutMs} ms (got ${state.requests.filter(predicate).length})`);
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((r) => server.close(r));
    },
  };
}

/** Polls `fn` until it returns a truthy value. */
export async function eventually(fn, timeoutMs = 20_000, what = "condition") {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
