// Node CommonJS (bundled to dist/node.cjs): the same wasm file, read with __dirname.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as glue from "./wasm/formhook_wasm.js";
import { setBackend } from "./api.js";

glue.initSync({ module: readFileSync(join(__dirname, "formhook_wasm_bg.wasm")) });
setBackend(glue);

export * from "./public.js";
