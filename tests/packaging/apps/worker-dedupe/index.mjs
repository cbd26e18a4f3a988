// A Worker that deduplicates atomically in a Durable Object: export the class and bind it
// (wrangler.toml: a durable_objects binding DEDUPE for DedupeDurableObject, and a migration).
import { DedupeDurableObject, durableObjectStore, kvStore, verifyRequest } from "formhook";

export { DedupeDurableObject };

export default {
  async fetch(request, env) {
    // Workers KV works too, best-effort only: it is not atomic, close repeats can both pass.
    const dedupe = new URL(request.url).pathname === "/kv" ? kvStore(env.SEEN) : durableObjectStore(env.DEDUPE);
    try {
      const { data } = await verifyRequest(request, "standard-webhooks", [env.WEBHOOK_SECRET], { dedupe });
      return Response.json({ ok: true, type: data.type });
    } catch (e) {
      if (e.code === "duplicate") return Response.json({ ok: true, duplicate: true, id: e.id });
      return Response.json({ error: { code: e.code } }, { status: 400 });
    }
  },
};
