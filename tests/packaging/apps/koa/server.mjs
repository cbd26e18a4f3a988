// Koa: koaVerifier reads the raw request stream (no body parser before it on this route).
import Koa from "koa";
import { koaVerifier, memoryStore } from "formhook";

export function createApp(secret) {
  const app = new Koa();
  const verify = koaVerifier("standard-webhooks", [secret], { dedupe: memoryStore() });
  app.use(async (ctx, next) => {
    if (ctx.method !== "POST" || ctx.path !== "/webhooks") return next();
    await verify(ctx, async () => {
      ctx.body = { ok: true, type: ctx.state.webhook.type };
    });
  });
  return app;
}
