// The shared suite against the Node CommonJS build.
const api = require("../dist/node.cjs");

import("./suite.mjs").then(({ runSuite }) => runSuite(api, "node CJS (dist/node.cjs)"));
