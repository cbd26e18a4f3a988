// The CommonJS view of the types (require condition → dist/index.d.cts).
import formhook = require("formhook");

const wh: formhook.Webhook = new formhook.Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
const s: string = wh.sign("msg_1", 1614265330, "{}");
// @ts-expect-error: sign needs a payload
wh.sign("msg_1", 1614265330);
console.log(s);
