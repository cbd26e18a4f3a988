// A Cloudflare Worker: the "workerd" export condition loads the .wasm as a module import.
import { verifyRequest } from "formhook";

export default {
  async fetch(request, env) {
    try {
      const { data } = await verifyRequest(request, "standard-webhooks", [env.WEBHOOK_SECRET]);
      return Response.json({ ok: true, type: data.type });
    } catch (e) {
      return Response.json({ error: e.code }, { status: 401 });
    }
  },
};
