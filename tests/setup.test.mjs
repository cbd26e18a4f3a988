// A warm `scripts/setup` (everything already installed, as after scripts/test's own first run)
// installs nothing and prints one summary line whose timer is no longer than the run itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const setup = () => {
  const started = process.hrtime.bigint();
  const run = spawnSync("bash", [join(ROOT, "scripts", "setup")], { encoding: "utf8", timeout: 30 * 60_000 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(run.status, 0, `setup failed:\n${run.stdout}\n${run.stderr}`);
  return { out: `${run.stdout}${run.stderr}`, seconds };
};

test("a warm setup installs nothing and prints one summary line", () => {
  setup(); // makes the machine warm if this is the first run in a fresh clone
  const { out, seconds } = setup();
  for (const action of ["cargo install", "npm install", "npm ci", "apt-get"]) {
    assert.ok(!out.includes(action), `a warm run ran "${action}":\n${out}`);
  }
  const lines = out.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line:\n${out}`);
  const summary = lines[0].match(/^\[setup\] ready in (\d+)\.(\d) s: (.+)$/);
  assert.ok(summary, `not the summary line: ${lines[0]}`);
  for (const tool of ["wasm-bindgen ", "worker-build ", "node 22.", "chromium ", "redis "]) {
    assert.ok(summary[3].includes(tool), `summary lacks ${tool}: ${lines[0]}`);
  }
  // The reported time is truncated to tenths of the script's own run: never more than the
  // wall time this process measured around it.
  const reported = Number(`${summary[1]}.${summary[2]}`);
  assert.ok(reported <= seconds, `setup said ${reported} s, the run took ${seconds.toFixed(2)} s`);
});
