// Node CommonJS: require("formhook"), sign a webhook, verify it, reject a tampered copy.
const { Webhook, WebhookVerificationError, generateSecret } = require("formhook");

const secret = generateSecret();
const wh = new Webhook(secret);
const payload = JSON.stringify({ type: "form.submission.created", data: { email: "ada@example.com" } });
const timestamp = Math.floor(Date.now() / 1000);
const headers = { "webhook-id": "msg_cjs", "webhook-timestamp": String(timestamp), "webhook-signature": wh.sign("msg_cjs", timestamp, payload) };

const event = wh.verify(payload, headers);
if (event.data.email !== "ada@example.com") throw new Error("wrong payload");
try {
  wh.verify(payload.replace("ada", "eve"), headers);
  throw new Error("a tampered payload verified");
} catch (e) {
  if (!(e instanceof WebhookVerificationError) || e.code !== "no_matching_signature") throw e;
}
console.log("cjs ok");
