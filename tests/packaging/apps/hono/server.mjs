// Hono: honoVerifier reads the body as bytes; a repeated webhook-id gets 200 without the handler.
import { Hono } from "hono";
import { honoVerifier, memoryStore } from "formhook";

export function createApp(secret) {
  const app = new Hono();
  app.post("/webhooks", honoVerifier("standard-webhooks", [secret], { dedupe: memoryStore() }), (c) =>
    c.json({ ok: true, type: c.get("webhook").type }),
  );
  return app;
}
