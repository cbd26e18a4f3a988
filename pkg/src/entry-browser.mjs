// Browsers and bundlers: the wasm is inlined as base64, so the import is synchronous, needs no
// fetch or bundler plugin, and works from file:// too.
import * as glue from "./wasm/formhook_wasm.js";
import { wasmBase64 } from "./wasm/inline.js";
import { setBackend } from "./api.js";

function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

glue.initSync({ module: decodeBase64(wasmBase64) });
setBackend(glue);

export * from "./public.js";
