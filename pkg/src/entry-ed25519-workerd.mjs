// `formhook/ed25519` on Cloudflare Workers / workerd: the same API on the ed25519 wasm (every
// scheme plus Standard Webhooks v1a), imported statically as workerd requires. Only apps that
// import this entry upload and compile that wasm.
import wasmModule from "./formhook_ed25519_bg.wasm";
import * as glue from "./wasm/ed25519/formhook_ed25519.js";
import { setBackend, setEd25519Backend } from "./api.js";

glue.initSync({ module: wasmModule });
setBackend(glue);
setEd25519Backend(glue);

export * from "./public.js";
