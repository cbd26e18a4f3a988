// Standard Webhooks `v1a` (ed25519) in JavaScript: which wasm a key set needs, and loading the
// ed25519 wasm only for those who use whpk_/whsk_ keys. The HMAC-only wasm stays small (≤ 16 KB
// gzipped); the ed25519 one is a superset (every scheme plus v1a), so one key set lives in one wasm.
import { FormhookError } from "./errors.js";

let ed25519;
let loadEd25519;

/**
 * Installs the ed25519 build: its wasm-bindgen glue, or a function returning it on first use
 * (Node reads the second .wasm from disk synchronously then).
 */
export function setEd25519Backend(glueOrLoader) {
  if (typeof glueOrLoader === "function") {
    ed25519 = undefined;
    loadEd25519 = glueOrLoader;
  } else {
    ed25519 = glueOrLoader;
  }
}

/** Whether `secret` is a Standard Webhooks ed25519 key (`whpk_` public or `whsk_` secret). */
export function isEd25519Key(secret) {
  return typeof secret === "string" && (secret.startsWith("whpk_") || secret.startsWith("whsk_"));
}

/** The ed25519 build's glue, loading it now if needed; throws when this runtime's build has none. */
export function ed25519Backend() {
  if (!ed25519 && loadEd25519) ed25519 = loadEd25519();
  if (!ed25519) {
    throw new FormhookError(
      'whpk_/whsk_ keys (Standard Webhooks v1a, ed25519) need the ed25519 build in this runtime: import from "formhook/ed25519" instead of "formhook"',
      "key_ed25519_unsupported",
    );
  }
  return ed25519;
}

/**
 * A new ed25519 key pair from the platform's CSPRNG: `secretKey` (`whsk_…`, 64 bytes: seed and
 * public key) signs `v1a`; `publicKey` (`whpk_…`) verifies and can be published.
 */
export function generateKeyPair() {
  const backend = ed25519Backend();
  const random = new Uint8Array(32);
  globalThis.crypto.getRandomValues(random);
  // 32 bytes is what the core asks for, so this call cannot fail.
  const [secretKey, publicKey] = backend.generateKeyPair(random).split("\n");
  random.fill(0);
  return { secretKey, publicKey };
}
