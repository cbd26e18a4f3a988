// The shared suite against the Node ESM build.
import * as api from "../dist/node.mjs";
import { runSuite } from "./suite.mjs";

runSuite(api, "node ESM (dist/node.mjs)");
