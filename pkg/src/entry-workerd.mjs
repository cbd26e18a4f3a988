// Cloudflare Workers / workerd: the runtime compiles a statically imported .wasm at deploy time.
import wasmModule from "./formhook_wasm_bg.wasm";
import * as glue from "./wasm/formhook_wasm.js";
import { setBackend } from "./api.js";

glue.initSync({ module: wasmModule });
setBackend(glue);

export * from "./public.js";
