// README's main command ends in `node scripts/serve.mjs`: it honours PORT, ADMIN_TOKEN,
// SSRF_ALLOWLIST and FORMHOOK_DATA, prints them (the token masked), and stops cleanly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const SERVE = new URL("../../scripts/serve.mjs", import.meta.url).pathname;

const freePort = () =>
  new Promise((r) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => r(port));
    });
  });

async function launch(env) {
  const child = spawn(process.execPath, [SERVE], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  const until = Date.now() + 90_000;
  while (!out.includes("Ctrl-C stops it.")) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`launcher did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
  };
  const kill9 = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
  };
  // "close": the exit status once stdout and stderr are read to their end.
  const exited = new Promise((r) => child.once("close", (code, signal) => r([code, signal])));
  return { out: () => out, stop, kill9, exited, pid: child.pid };
}

const workerdFor = (dir) => {
  try {
    return execFileSync("pgrep", ["-f", dir], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
};

test("PORT, ADMIN_TOKEN, SSRF_ALLOWLIST, FORMHOOK_DATA are honoured and printed, the token masked", async () => {
  const dir = mkdtempSync(join(tmpdir(), "formhook-launch-"));
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const run = await launch({ PORT: String(port), ADMIN_TOKEN: token, SSRF_ALLOWLIST: "127.0.0.1", FORMHOOK_DATA: dir });
  try {
    const out = run.out();
    assert.match(out, new RegExp(`URL\\s+http://127\\.0\\.0\\.1:${port}`));
    assert.match(out, new RegExp(`dashboard\\s+http://127\\.0\\.0\\.1:${port}/dashboard/`));
    assert.match(out, new RegExp(`ADMIN_TOKEN\\s+${token.slice(0, 4)}…`));
    assert.ok(!out.includes(token), "the full token is never printed");
    assert.match(out, /SSRF_ALLOWLIST 127\.0\.0\.1/);
    assert.ok(out.includes(dir));
    const res = await fetch(`http://127.0.0.1:${port}/api/forms`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const page = await fetch(`http://127.0.0.1:${port}/dashboard/`);
    assert.match(await page.text(), /Dashboard · formhook/);
  } finally {
    await run.stop();
  }
  assert.equal(workerdFor(dir), "", "no wrangler or workerd left running");
  rmSync(dir, { recursive: true, force: true });
});

test("without ADMIN_TOKEN a token is generated once, stored with mode 600, and reused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "formhook-launch-"));
  const port = await freePort();
  const env = { PORT: String(port), FORMHOOK_DATA: dir, ADMIN_TOKEN: "" };
  delete env.ADMIN_TOKEN;
  const saved = process.env.ADMIN_TOKEN;
  delete process.env.ADMIN_TOKEN;
  try {
    let run = await launch(env);
    const file = join(dir, "admin-token");
    assert.match(run.out(), /generated; stored in .*admin-token \(mode 600\)/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const token = readFileSync(file, "utf8").trim();
    assert.ok(!run.out().includes(token));
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/forms`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    await run.stop();
    run = await launch(env);
    assert.match(run.out(), /read from .*admin-token/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/forms`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    await run.stop();
  } finally {
    if (saved !== undefined) process.env.ADMIN_TOKEN = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a guessable ADMIN_TOKEN: the launcher refuses it, and the worker keeps its admin API closed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "formhook-launch-"));
  try {
    const child = spawn(process.execPath, [SERVE], { env: { ...process.env, PORT: String(await freePort()), FORMHOOK_DATA: dir, ADMIN_TOKEN: "changeme" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const [code] = await new Promise((r) => child.once("close", (...args) => r(args)));
    assert.equal(code, 2, out);
    assert.match(out, /ADMIN_TOKEN must be at least 16 characters/);
    assert.ok(!out.includes("changeme"), "the token is not echoed");
    // A worker given one anyway (deployed with `wrangler secret put`): 503 for every admin call,
    // the right token included.
    const { startWorker } = await import("../../scripts/serve.mjs");
    const worker = await startWorker({ port: 0, persistDir: join(dir, "w"), adminToken: "changeme", quiet: true, logLevel: "warn" });
    try {
      for (const auth of ["Bearer changeme", "Bearer wrong-guess", ""]) {
        const res = await fetch(`${worker.url}/api/forms`, { headers: auth ? { authorization: auth } : {} });
        assert.equal(res.status, 503, auth);
        assert.equal((await res.json()).error.code, "admin_token_weak");
      }
    } finally {
      await worker.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Every process's command line, as `ps` shows it to any user of the machine.
const psArgs = () => execFileSync("ps", ["-eo", "args", "--no-headers"], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });

test("ADMIN_TOKEN is on no command line; the data directory is created with mode 700", async () => {
  const parent = mkdtempSync(join(tmpdir(), "formhook-launch-"));
  const dir = join(parent, "data");
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const run = await launch({ PORT: String(port), ADMIN_TOKEN: token, FORMHOOK_DATA: dir });
  try {
    assert.ok(psArgs().includes(dir), "ps shows the worker of this data directory");
    assert.ok(!psArgs().includes(token), "ps shows the token on no command line");
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const res = await fetch(`http://127.0.0.1:${port}/api/forms`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, "the worker got the token");
    // Without FORMHOOK_TRUST_CLIENT_IP a CF-Connecting-IP header names no one: every local client
    // is one client, so forging addresses does not get past the per-client limit.
    assert.match(run.out(), /client IP\s+not trusted/);
    const created = await fetch(`http://127.0.0.1:${port}/api/forms`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ id: "forged", rate_limit_per_minute: 3 }) });
    assert.equal(created.status, 201);
    const statuses = [];
    for (let i = 1; i <= 5; i++) {
      const post = await fetch(`http://127.0.0.1:${port}/f/forged`, { method: "POST", body: "a=1", headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": `198.51.100.${i}` } });
      statuses.push(post.status);
    }
    // (A minute boundary between the posts could refill the budget once: 429 still shows up.)
    assert.deepEqual(statuses.slice(0, 3), [201, 201, 201]);
    assert.ok(statuses.includes(429), statuses.join());
  } finally {
    await run.stop();
    rmSync(parent, { recursive: true, force: true });
  }
});

test("a launcher killed with SIGKILL leaves a worker behind; the next launch stops it and says so", async () => {
  const dir = mkdtempSync(join(tmpdir(), "formhook-launch-"));
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const env = { PORT: String(port), ADMIN_TOKEN: token, FORMHOOK_DATA: dir };
  const first = await launch(env);
  await first.kill9();
  try {
    // wrangler and workerd run in their own process group: they outlive the launcher.
    assert.notEqual(workerdFor(dir), "", "the old worker is still running");
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    const second = await launch(env);
    try {
      assert.match(second.out(), /stopped a stale formhook worker \(wrangler pid \d+\)/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/forms`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    } finally {
      await second.stop();
    }
    assert.equal(workerdFor(dir), "", "no wrangler or workerd left running");
  } finally {
    for (const pid of workerdFor(dir).split("\n").filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

// Live (not zombie) processes of a process group, from /proc.
const groupMembers = (pgid) => {
  const members = [];
  for (const pid of execFileSync("ls", ["/proc"], { encoding: "utf8" }).split("\n").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === pgid && state !== "Z" && state !== "X") members.push(pid);
    } catch {}
  }
  return members;
};

for (const signal of ["SIGINT", "SIGTERM"]) {
  test(`${signal} (${signal === "SIGINT" ? "Ctrl-C" : "a service manager"}) stops wrangler and workerd, prints one line, exits 0`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "formhook-launch-"));
    const port = await freePort();
    const run = await launch({ PORT: String(port), ADMIN_TOKEN: randomBytes(16).toString("hex"), FORMHOOK_DATA: dir });
    try {
      // The pid file names wrangler, the leader of the group that workerd runs in too.
      const pgid = Number(readFileSync(join(dir, "formhook-worker.pid"), "utf8").trim());
      assert.ok(groupMembers(pgid).length >= 2, "wrangler and workerd run in the worker's group");
      const before = run.out().length;
      process.kill(run.pid, signal);
      const [code, exitSignal] = await run.exited;
      assert.equal(exitSignal, null, `killed by ${exitSignal}:\n${run.out()}`);
      assert.equal(code, 0, run.out());
      assert.equal(run.out().slice(before).trim(), "formhook stopped");
      assert.deepEqual(groupMembers(pgid), [], "nothing of the worker's process group is left");
      assert.equal(workerdFor(dir), "", "no wrangler or workerd left running");
    } finally {
      await run.kill9();
      for (const pid of workerdFor(dir).split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {}
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
