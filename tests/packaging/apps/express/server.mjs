// Express: express.raw keeps the body as bytes, expressVerifier checks it.
import express from "express";
import { expressVerifier } from "formhook";

export function createApp(secret) {
  const app = express();
  app.post(
    "/webhooks",
    express.raw({ type: "*/*" }), // the raw bytes are what was signed
    expressVerifier("standard-webhooks", [secret]),
    (req, res) => res.json({ ok: true, type: req.webhook.type }),
  );
  return app;
}
