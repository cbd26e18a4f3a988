// The shared suite against the browser build (wasm inlined), which also loads in Node.
import * as api from "../dist/browser.mjs";
import { runSuite } from "./suite.mjs";

runSuite(api, "browser (dist/browser.mjs)");
