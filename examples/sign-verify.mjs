// A sender signs a form submission the Standard Webhooks way; a receiver verifies it with the
// built npm package, then sees a tampered copy and a stale copy refused.
import { Webhook, WebhookVerificationError, generateSecret, sign, verify } from "../pkg/dist/node.mjs";

const secret = generateSecret();
const sender = new Webhook(secret);
const receiver = new Webhook(secret);

const body = JSON.stringify({
  type: "form.submission.created",
  id: "evt_01JD8Z",
  form: { id: "contact", name: "Contact us" },
  submission: { id: "sub_01JD8Z", data: { email: "ada@example.com", message: "Hello!" } },
});
const msgId = "msg_01JD8Z";
const now = new Date();
const headers = {
  "webhook-id": msgId,
  "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
  "webhook-signature": sender.sign(msgId, now, body),
};

console.log("secret (shown once):", secret.slice(0, 10) + "…");
console.log("headers:", headers);
console.log("verified payload:", receiver.verify(body, headers));

function expectFailure(label, payload, hdrs) {
  try {
    receiver.verify(payload, hdrs);
    throw new Error(`${label}: verified, but must not`);
  } catch (e) {
    if (!(e instanceof WebhookVerificationError)) throw e;
    console.log(`${label}: refused (${e.code}: ${e.message})`);
  }
}
expectFailure("tampered body", body.replace("Hello!", "Hi!"), headers);
const stale = new Date(now.getTime() - 10 * 60 * 1000);
expectFailure("replayed 10 minutes later", body, {
  ...headers,
  "webhook-timestamp": String(Math.floor(stale.getTime() / 1000)),
  "webhook-signature": sender.sign(msgId, stale, body),
});

// The same call for another provider's scheme, e.g. a GitHub-style header.
const gh = sign("github", "It's a Secret to Everybody", { payload: "Hello, World!" });
console.log("github:", gh, "→ verified:", verify("github", "It's a Secret to Everybody", "Hello, World!", gh));
