// Bundled for the browser by esbuild: the "browser" build inlines the wasm.
import { Webhook, WebhookVerificationError } from "formhook";

const wh = new Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
const headers = {
  "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
  "webhook-timestamp": "1614265330",
  "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const now = 1614265330;
let result;
try {
  wh.verify('{"test": 2432232314}', headers, { now });
  try {
    wh.verify('{"test": 2432232315}', headers, { now });
    result = "tampered payload verified";
  } catch (e) {
    result = e instanceof WebhookVerificationError && e.code === "no_matching_signature" ? "browser ok" : `wrong error ${e.code}`;
  }
} catch (e) {
  result = `official vector failed: ${e.code}`;
}
document.body.dataset.result = result;
document.body.textContent = result;
