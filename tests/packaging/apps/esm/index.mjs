// Node ESM: import from "formhook"; the GitHub scheme with GitHub's published example.
import { sign, verify } from "formhook";

const headers = sign("github", ["It's a Secret to Everybody"], { payload: "Hello, World!" });
if (headers["x-hub-signature-256"] !== "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17") {
  throw new Error(`unexpected signature ${headers["x-hub-signature-256"]}`);
}
verify("github", ["It's a Secret to Everybody"], Buffer.from("Hello, World!"), headers);
let refused = false;
try {
  verify("github", ["It's a Secret to Everybody"], "Hello, World?", headers);
} catch (e) {
  refused = e.code === "no_matching_signature";
}
if (!refused) throw new Error("a tampered payload verified");
console.log("esm ok");
