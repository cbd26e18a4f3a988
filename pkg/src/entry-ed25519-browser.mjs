// `formhook/ed25519` in browsers and bundlers: the same API on the ed25519 wasm (every scheme
// plus Standard Webhooks v1a), inlined as base64 so the import stays synchronous.
import * as glue from "./wasm/ed25519/formhook_ed25519.js";
import { wasmBase64 } from "./wasm/ed25519/inline.js";
import { setBackend, setEd25519Backend } from "./api.js";

const binary = atob(wasmBase64);
const bytes = new Uint8Array(binary.length);
for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
glue.initSync({ module: bytes });
setBackend(glue);
setEd25519Backend(glue);

export * from "./public.js";
