// The playground: every check is the wasm core's (`verify`/`sign` of the formhook package);
// this file only reads the form, explains the error code and renders snippets.
import * as hmacOnly from "../vendor/formhook.mjs";

const { listSchemes } = hmacOnly;

// ed25519 keys (whpk_/whsk_, Standard Webhooks v1a) need the package's second wasm: loaded only
// when such a key is entered, as an app would import "formhook/ed25519".
let ed25519;
async function backendFor(keys) {
  if (!keys.some((k) => /^wh(pk|sk)_/.test(k))) return hmacOnly;
  ed25519 ??= await import("../vendor/formhook-ed25519.mjs");
  return ed25519;
}

/** Several prefixed keys (a rotation, or whsec_ beside whpk_) may be entered separated by spaces;
 * anything else is one secret, spaces included (GitHub's example has them). */
function keysOf(text) {
  const parts = text.split(/\s+/).filter(Boolean);
  return parts.length > 1 && parts.every((p) => /^wh(sec|pk|sk)_/.test(p)) ? parts : [text];
}

const $ = (id) => document.getElementById(id);
const schemes = listSchemes();
const EXAMPLE = {
  scheme: "standard-webhooks",
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  body: '{"test": 2432232314}',
  headers: "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek\nwebhook-timestamp: 1614265330\nwebhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  now: "1614265330",
};
const EXPLAIN = {
  missing_headers: "A required header is missing or empty.",
  invalid_timestamp: "The timestamp is not a whole number of Unix seconds.",
  timestamp_too_old: "The timestamp is older than the tolerance allows (a replay, or a slow queue).",
  timestamp_too_new: "The timestamp is further in the future than the tolerance allows (clock skew).",
  invalid_signature_header: "The signature header is not in the scheme's format.",
  malformed_signature: "The signature does not decode (wrong encoding, length or padding).",
  no_matching_signature: "The signature decodes but does not match: wrong secret, or the body was changed (even whitespace).",
  no_secret: "No secret to verify with.",
  too_many_signatures: "The header carries more signatures than allowed.",
};

for (const s of schemes) {
  const opt = document.createElement("option");
  opt.value = s.name;
  opt.textContent = `${s.name} (${s.headers.signature})`;
  $("scheme").append(opt);
}

/** Headers pasted as JSON: an object (`{"webhook-id": "…"}`), or `[name, value]` pairs as the
 * dashboard shows an attempt's request. `null` when the text is not JSON. */
function jsonHeaders(text) {
  const t = text.trim();
  if (!/^[[{]/.test(t)) return null;
  let value;
  try {
    value = JSON.parse(t);
  } catch {
    return null;
  }
  const pairs = Array.isArray(value) ? value.map((p) => (Array.isArray(p) ? p : [p?.name, p?.value])) : Object.entries(value ?? {});
  const headers = {};
  for (const [name, v] of pairs) {
    if (typeof name !== "string" || v === undefined || v === null) continue;
    const key = name.trim().toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${v}` : String(v);
  }
  return headers;
}

function parseHeaders(text) {
  const fromJson = jsonHeaders(text);
  if (fromJson) return fromJson;
  const headers = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

function current() {
  const scheme = schemes.find((s) => s.name === $("scheme").value) ?? schemes[0];
  const now = $("now").value.trim() === "" ? undefined : Number($("now").value);
  return { scheme, secret: $("secret").value.trim(), body: $("body").value, headers: parseHeaders($("headers").value), now, tolerance: Number($("tolerance").value || 300) };
}

function canonical({ scheme, body, headers }) {
  const h = scheme.headers;
  switch (scheme.name) {
    case "standard-webhooks":
      return `${headers[h.id] ?? "<webhook-id>"}.${headers[h.timestamp] ?? "<webhook-timestamp>"}.${body}`;
    case "stripe": {
      const t = /(?:^|,)\s*t=([^,]*)/.exec(headers[h.signature] ?? "")?.[1] ?? "<t>";
      return `${t}.${body}`;
    }
    case "slack":
      return `v0:${headers[h.timestamp] ?? "<timestamp>"}:${body}`;
    default:
      return body;
  }
}

function show(kind, title, detail = "") {
  const box = $("result");
  box.className = `result ${kind}`;
  box.replaceChildren();
  const strong = document.createElement("div");
  strong.textContent = title;
  box.append(strong);
  if (detail) {
    const p = document.createElement("div");
    p.style.fontWeight = "400";
    p.textContent = detail;
    box.append(p);
  }
}

async function run() {
  const input = current();
  $("canonical").textContent = canonical(input);
  renderSnippet();
  if (!input.secret) return show("bad", "Invalid: no secret", "Enter the endpoint's signing secret.");
  try {
    const keys = keysOf(input.secret);
    const { verify } = await backendFor(keys);
    verify(input.scheme.name, keys, input.body, input.headers, { now: input.now, tolerance: input.tolerance });
    show("ok", "Valid signature", `Verified with ${input.scheme.name}.`);
  } catch (e) {
    const code = e.code ?? "error";
    let detail = EXPLAIN[code] ?? e.message;
    if (code === "timestamp_too_old" || code === "timestamp_too_new") {
      const tsHeader = input.scheme.headers.timestamp;
      const ts = Number(tsHeader ? input.headers[tsHeader] : /(?:^|,)\s*t=(\d+)/.exec(input.headers[input.scheme.headers.signature] ?? "")?.[1]);
      const now = input.now ?? Math.floor(Date.now() / 1000);
      detail += ` Skew: ${now - ts} s (tolerance ${input.tolerance} s).`;
    }
    show("bad", `Invalid: ${code.replaceAll("_", " ")}`, detail);
  }
}

async function doSign() {
  const input = current();
  if (!input.secret) return show("bad", "Invalid: no secret", "Enter a secret to sign with.");
  try {
    const ts = $("sign-ts").value.trim() === "" ? Math.floor(Date.now() / 1000) : Number($("sign-ts").value);
    const keys = keysOf(input.secret);
    const { sign } = await backendFor(keys);
    const headers = sign(input.scheme.name, keys, { id: $("msg-id").value, timestamp: ts, payload: input.body });
    $("headers").value = Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join("\n");
    if ($("sign-ts").value.trim() !== "") $("now").value = String(ts);
    await run();
  } catch (e) {
    show("bad", `Cannot sign: ${e.code ?? "error"}`, e.message);
  }
}

let framework = "next";
function renderSnippet() {
  const name = $("scheme").value;
  const std = name === "standard-webhooks";
  const next = std
    ? `// app/api/webhooks/route.js
import { verifyRequest } from "formhook";

export async function POST(request) {
  try {
    const { data } = await verifyRequest(request, "standard-webhooks", [process.env.WEBHOOK_SECRET]);
    // data is the parsed JSON; dedupe on request.headers.get("webhook-id")
    return Response.json({ ok: true });
  } catch (e) {
    return Response.json({ error: e.code }, { status: 401 });
  }
}`
    : `// app/api/webhooks/route.js
import { verifyRequest } from "formhook";

export async function POST(request) {
  try {
    const { data } = await verifyRequest(request, "${name}", [process.env.WEBHOOK_SECRET]);
    return Response.json({ ok: true });
  } catch (e) {
    return Response.json({ error: e.code }, { status: 401 });
  }
}`;
  const express = `// server.js
import express from "express";
import { expressVerifier } from "formhook";

const app = express();
app.post(
  "/webhooks",
  express.raw({ type: "*/*" }), // the raw bytes are what was signed
  expressVerifier("${name}", [process.env.WEBHOOK_SECRET]),
  (req, res) => res.json({ ok: true }), // req.webhook: the verified, parsed payload
);
app.listen(3000);`;
  $("snippet").textContent = framework === "next" ? next : express;
  $("tab-next").setAttribute("aria-selected", String(framework === "next"));
  $("tab-express").setAttribute("aria-selected", String(framework === "express"));
}

$("playground").addEventListener("submit", (e) => {
  e.preventDefault();
  run();
});
$("sign").addEventListener("click", doSign);
$("scheme").addEventListener("change", run);
$("load-example").addEventListener("click", () => {
  $("scheme").value = EXAMPLE.scheme;
  $("secret").value = EXAMPLE.secret;
  $("body").value = EXAMPLE.body;
  $("headers").value = EXAMPLE.headers;
  $("now").value = EXAMPLE.now;
  run();
});
$("tab-next").addEventListener("click", () => ((framework = "next"), renderSnippet()));
$("tab-express").addEventListener("click", () => ((framework = "express"), renderSnippet()));
$("copy-snippet").addEventListener("click", () => navigator.clipboard?.writeText($("snippet").textContent));
renderSnippet();

/** `#check=<base64url JSON>` (the dashboard's "Check in playground"): scheme, body, headers and the
 * time the attempt was signed. The secret is never in it: the page asks for it. */
function loadFromFragment() {
  const m = /^#check=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!m) return;
  let data;
  try {
    const bin = atob(m[1].replace(/-/g, "+").replace(/_/g, "/"));
    data = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    show("bad", "Could not read the delivery from the link", "The link is cut short or changed.");
    return;
  }
  if (schemes.some((s) => s.name === data.scheme)) $("scheme").value = data.scheme;
  $("body").value = typeof data.body === "string" ? data.body : "";
  const pairs = Array.isArray(data.headers) ? data.headers : Object.entries(data.headers ?? {});
  $("headers").value = pairs.map(([n, v]) => `${n}: ${v}`).join("\n");
  if (Number.isInteger(data.now)) $("now").value = String(data.now);
  renderSnippet();
  $("canonical").textContent = canonical(current());
  show("warn", "Delivery loaded from the dashboard", "Enter the endpoint's signing secret, then Verify. \"Now\" is set to the time it was signed.");
  $("secret").focus();
}
loadFromFragment();
