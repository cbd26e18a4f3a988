// `wrangler dev` for the launcher (scripts/serve.mjs), through wrangler's API so that its
// DevTools inspector stays off: the CLI always opens one on 127.0.0.1, and any local process
// (any user of the machine) that connects to it runs code inside the worker without a credential:
// it can read the ADMIN_TOKEN off the next admin request, or anything else the worker holds. The
// CLI has no switch for it; the API's `dev.inspector: false` starts neither wrangler's inspector
// proxy nor workerd's own.
//
// Arguments: <root> <wrangler.toml> <ip> <port> <persist dir> <env file> <log level>. Variables
// come from the env file only (never the command line). Wrangler prints its usual `Ready on <url>`
// and request lines; this stops it on SIGTERM or SIGINT.
import { createRequire } from "node:module";
import { join } from "node:path";

const [root, config, hostname, port, persist, envFile, logLevel] = process.argv.slice(2);
if (!logLevel) {
  console.error("usage: wrangler-dev.mjs <root> <wrangler.toml> <ip> <port> <persist dir> <env file> <log level>");
  process.exit(2);
}
const { unstable_startWorker: startWorker } = createRequire(join(root, "worker", "package.json"))("wrangler");

const worker = await startWorker({
  config,
  envFiles: [envFile],
  dev: {
    server: { hostname, port: Number(port) },
    inspector: false,
    persist,
    logLevel,
    watch: false,
    liveReload: false,
  },
});
await worker.ready;

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  try {
    await worker.dispose();
  } finally {
    process.exit(0);
  }
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
