// Node ESM: load the wasm next to this file synchronously, so importing is enough. The ed25519
// wasm (Standard Webhooks v1a) is read and instantiated only when a whpk_/whsk_ key is first used.
import { readFileSync } from "node:fs";
import * as glue from "./wasm/formhook_wasm.js";
import * as ed25519Glue from "./wasm/ed25519/formhook_ed25519.js";
import { setBackend, setEd25519Backend } from "./api.js";

glue.initSync({ module: readFileSync(new URL("./formhook_wasm_bg.wasm", import.meta.url)) });
setBackend(glue);
setEd25519Backend(() => {
  ed25519Glue.initSync({ module: readFileSync(new URL("./formhook_ed25519_bg.wasm", import.meta.url)) });
  return ed25519Glue;
});

export * from "./public.js";
