// Starts the Fastify app on 127.0.0.1 and checks the webhook route and an ordinary JSON route.
import { generateSecret } from "formhook";
import { checkReceiver } from "../receiver-check.mjs";
import { createApp } from "./server.mjs";

const secret = generateSecret();
const app = createApp(secret);
const base = await app.listen({ port: 0, host: "127.0.0.1" });
try {
  await checkReceiver(`${base}/webhooks`, secret, "fastify");
  const echo = await fetch(`${base}/echo`, { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json" } });
  const echoed = await echo.json();
  if (echoed.parsed?.a !== 1) throw new Error(`fastify: the JSON route lost its parser: ${JSON.stringify(echoed)}`);
} finally {
  await app.close();
}
console.log("fastify ok");
