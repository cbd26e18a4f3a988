// Node CommonJS (bundled to dist/node.cjs): the same wasm files, read with __dirname; the ed25519
// one only when a whpk_/whsk_ key is first used.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as glue from "./wasm/formhook_wasm.js";
import * as ed25519Glue from "./wasm/ed25519/formhook_ed25519.js";
import { setBackend, setEd25519Backend } from "./api.js";

glue.initSync({ module: readFileSync(join(__dirname, "formhook_wasm_bg.wasm")) });
setBackend(glue);
setEd25519Backend(() => {
  ed25519Glue.initSync({ module: readFileSync(join(__dirname, "formhook_ed25519_bg.wasm")) });
  return ed25519Glue;
});

export * from "./public.js";
