// The README's dedupe Worker (index.mjs) plus a /store route that runs one store operation, so
// the test can drive durableObjectStore and kvStore in workerd step by step. Started with
// `wrangler dev store-check.mjs`; the Durable Object class is the same export.
import snippet, { DedupeDurableObject } from "./index.mjs";
import { durableObjectStore, kvStore } from "formhook";

export { DedupeDurableObject };

const ARGUMENTS = {
  claim: ({ id, lease, token }) => [id, lease, token],
  complete: ({ id, ttl, token }) => [id, ttl, token],
  release: ({ id, token }) => [id, token],
  forget: ({ id }) => [id],
  seen: ({ id, ttl }) => [id, ttl],
};

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname !== "/store") return snippet.fetch(request, env);
    const step = await request.json();
    const store = step.store === "kv" ? kvStore(env.SEEN) : durableObjectStore(env.DEDUPE, { shards: 2 });
    try {
      const result = await store[step.op](...ARGUMENTS[step.op](step));
      return Response.json({ result: result ?? null });
    } catch (e) {
      return Response.json({ error: e.code ?? String(e) }, { status: 500 });
    }
  },
};
