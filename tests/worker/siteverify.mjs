// A local siteverify server for the worker and browser tests, answering as the Turnstile,
// hCaptcha and reCAPTCHA documentation describes. The worker reaches it through the
// TURNSTILE_/HCAPTCHA_/RECAPTCHA_SITEVERIFY_URL variables (`url(provider)`).
import http from "node:http";

/**
 * The siteverify server. A token reads `kind#unique`; `kind` picks the answer:
 * `ok`, `host=<name>`, `action=<name>`, `score=<n>`, `malformed`, `500`, `hang`, `internal`.
 * Every token is single use (a second check answers `timeout-or-duplicate`), as
 * Turnstile documents; the secret must be the form's.
 */
export async function startSiteverify({ secrets, hostname }) {
  const calls = [];
  const used = new Set();
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const provider = req.url.slice(1);
      const params = Object.fromEntries(new URLSearchParams(body));
      calls.push({ provider, params, contentType: req.headers["content-type"] });
      const send = (status, value) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(typeof value === "string" ? value : JSON.stringify(value));
      };
      const [kind, arg] = String(params.response ?? "").split("#")[0].split("=");
      if (kind === "hang") return; // never answers
      if (kind === "500") return send(500, "upstream failure");
      if (kind === "malformed") return send(200, '{"success": tru');
      if (kind === "internal") return send(200, { success: false, "error-codes": ["internal-error"] });
      if (params.secret !== secrets[provider]) return send(200, { success: false, "error-codes": ["invalid-input-secret"] });
      if (!params.response) return send(200, { success: false, "error-codes": ["missing-input-response"] });
      if (used.has(params.response)) return send(200, { success: false, "error-codes": ["timeout-or-duplicate"] });
      used.add(params.response);
      const answer = { success: true, challenge_ts: new Date().toISOString(), hostname: kind === "host" ? arg : hostname };
      if (provider === "turnstile") Object.assign(answer, { "error-codes": [], action: kind === "action" ? arg : "contact", cdata: "" });
      if (provider === "hcaptcha") answer.credit = false;
      if (provider === "recaptcha") Object.assign(answer, { action: kind === "action" ? arg : "submit", score: kind === "score" ? Number(arg) : 0.9 });
      send(200, answer);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    calls,
    url: (provider) => `${base}/${provider}`,
    close() {
      server.closeAllConnections?.();
      return new Promise((r) => server.close(r));
    },
  };
}

