// Serves the Hono app with @hono/node-server on 127.0.0.1 and checks it answers as it should.
import { serve } from "@hono/node-server";
import { generateSecret } from "formhook";
import { checkReceiver } from "../receiver-check.mjs";
import { createApp } from "./server.mjs";

const secret = generateSecret();
const server = serve({ fetch: createApp(secret).fetch, port: 0, hostname: "127.0.0.1" });
await new Promise((r) => (server.listening ? r() : server.once("listening", r)));
try {
  await checkReceiver(`http://127.0.0.1:${server.address().port}/webhooks`, secret, "hono");
} finally {
  server.close();
}
console.log("hono ok");
