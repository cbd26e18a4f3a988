// Type-checks the public API as a TypeScript consumer sees it.
import { Webhook, WebhookVerificationError, verify, sign, type VerificationErrorCode, type SchemeName } from "formhook";

const wh: Webhook = new Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
const signature: string = wh.sign("msg_1", new Date(), new Uint8Array([1, 2, 3]));
const scheme: SchemeName = "github";
const headers = sign(scheme, ["secret"], { payload: "x" });
const ok: true = verify(scheme, ["secret"], "x", headers);
try {
  wh.verify("{}", { "webhook-id": "a", "webhook-timestamp": "1", "webhook-signature": signature });
} catch (e) {
  if (e instanceof WebhookVerificationError) {
    const code: VerificationErrorCode | string = e.code;
    console.log(code, ok);
  }
}
// @ts-expect-error: the scheme name is checked
verify("md5", ["secret"], "x", headers);
// @ts-expect-error: a number is not a payload
wh.verify(42, {});

// Standard Webhooks v1a: the ed25519 entry has the same types.
import { generateKeyPair, Webhook as Ed25519Webhook, type KeyPair } from "formhook/ed25519";
const pair: KeyPair = generateKeyPair();
const v1a: string = new Ed25519Webhook(pair.secretKey).sign("msg_1", 1, "{}");
new Ed25519Webhook([pair.publicKey, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]).verify("{}", { "webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": v1a });
