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
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
  };
  return { out: () => out, stop };
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
