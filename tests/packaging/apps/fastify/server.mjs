// Fastify: the plugin keeps bodies as bytes in the scope it is registered in; other routes keep JSON.
import Fastify from "fastify";
import { fastifyVerifier, memoryStore } from "formhook";

export function createApp(secret) {
  const app = Fastify();
  app.register(async (webhooks) => {
    await webhooks.register(fastifyVerifier, { scheme: "standard-webhooks", secrets: [secret], dedupe: memoryStore() });
    webhooks.post("/webhooks", async (request) => ({ ok: true, type: request.webhook.type }));
  });
  app.post("/echo", async (request) => ({ parsed: request.body })); // still parsed as JSON
  return app;
}
