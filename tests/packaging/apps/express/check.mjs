// Starts the Express app on 127.0.0.1 and sends it a signed request and a tampered one.
import { Webhook, generateSecret } from "formhook";
import { createApp } from "./server.mjs";

const secret = generateSecret();
const server = createApp(secret).listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const url = `http://127.0.0.1:${server.address().port}/webhooks`;
const body = JSON.stringify({ type: "form.submission.created" });
const ts = Math.floor(Date.now() / 1000);
const headers = { "content-type": "application/json", "webhook-id": "msg_x", "webhook-timestamp": String(ts), "webhook-signature": new Webhook(secret).sign("msg_x", ts, body) };
const good = await fetch(url, { method: "POST", body, headers });
const bad = await fetch(url, { method: "POST", body: body.replace("created", "deleted"), headers });
server.close();
const goodBody = await good.json();
const badBody = await bad.json();
if (good.status !== 200 || goodBody.type !== "form.submission.created") throw new Error(`signed request: ${good.status} ${JSON.stringify(goodBody)}`);
if (bad.status !== 400 || badBody.error.code !== "no_matching_signature") throw new Error(`tampered request: ${bad.status} ${JSON.stringify(badBody)}`);
console.log("express ok");
