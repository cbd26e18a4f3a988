// A Worker that deduplicates atomically in a Durable Object: export the class and bind it
// (wrangler.toml: a durable_objects binding DEDUPE for DedupeDurableObject, and a migration).
import { DedupeDurableObject, durableObjectStore, kvStore, verifyRequest } from "formhook";

export { DedupeDurableObject };

export default {
  async fetch(request, env) {
    // Workers KV works too, best-effort only: it is not atomic, close repeats can both pass.
    const dedupe = new URL(request.url).pathname === "/kv" ? kvStore(env.SEEN) : durableObjectStore(env.DEDUPE);
    let received;
    try {
      received = await verifyRequest(request, "standard-webhooks", [env.WEBHOOK_SECRET], { dedupe });
    } catch (e) {
      if (e.code === "duplicate") return Response.json({ ok: true, duplicate: true, id: e.id });
      // Another request is handling this id and may still fail: the sender must try again.
      if (e.code === "duplicate_in_progress") {
        return Response.json({ error: { code: e.code }, id: e.id }, { status: 409, headers: { "retry-after": String(e.retryAfter) } });
      }
      return Response.json({ error: { code: e.code } }, { status: 400 });
    }
    try {
      const type = received.data.type; // act on the event here
      await received.complete(); // handled: copies from now on get 200 duplicate
      return Response.json({ ok: true, type });
    } catch (e) {
      await received.release(); // failed: the sender's retry is handled
      throw e;
    }
  },
};
