// Several instances, one Redis: each webhook-id is claimed atomically, so a delivery is
// handled once however many copies arrive and wherever they land.
import express from "express";
import { createClient } from "redis";
import { expressVerifier, redisStore } from "formhook";

export async function createApp(secret, redisUrl) {
  const redis = await createClient({ url: redisUrl }).connect();
  const app = express();
  app.post(
    "/webhooks",
    express.raw({ type: "*/*" }),
    expressVerifier("standard-webhooks", [secret], { dedupe: redisStore(redis) }),
    (req, res) => res.json({ ok: true, type: req.webhook.type }), // once per webhook-id
  );
  return { app, redis };
}
