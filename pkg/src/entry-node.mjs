// Node ESM: load the wasm next to this file synchronously, so importing is enough.
import { readFileSync } from "node:fs";
import * as glue from "./wasm/formhook_wasm.js";
import { setBackend } from "./api.js";

glue.initSync({ module: readFileSync(new URL("./formhook_wasm_bg.wasm", import.meta.url)) });
setBackend(glue);

export * from "./public.js";
