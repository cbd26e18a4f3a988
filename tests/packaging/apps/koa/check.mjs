// Starts the Koa app on 127.0.0.1 and checks it answers as it should.
import { generateSecret } from "formhook";
import { checkReceiver } from "../receiver-check.mjs";
import { createApp } from "./server.mjs";

const secret = generateSecret();
const server = createApp(secret).listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
try {
  await checkReceiver(`http://127.0.0.1:${server.address().port}/webhooks`, secret, "koa");
} finally {
  server.close();
}
console.log("koa ok");
