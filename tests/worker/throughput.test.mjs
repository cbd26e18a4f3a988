// End to end: the delivery window of an endpoint (in-flight limit, FIFO order) and the work
// counters, against the real worker in workerd and receivers on 127.0.0.1 that count the
// requests they hold open. Nothing here depends on timing: receivers hold requests until the
// expected number is in flight (or a generous deadline, which then fails the test).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { eventually } from "./receiver.mjs";

let worker;
let dir;
const token = randomBytes(16).toString("hex");
const servers = [];

const api = adminApi(() => worker.url, token);

/**
 * A receiver that records each request's `seq` and the number of requests open at once.
 * `decide(seq, n)` answers `{status}`; `holdUntil`: requests are held until that many are open
 * at the same time (from then on none is held), or until `holdMs` passed.
 */
async function countingReceiver({ decide = () => ({ status: 200 }), delayMs = 0, holdUntil = 0, holdMs = 60_000 } = {}) {
  const state = { seqs: [], delivered: [], open: 0, maxOpen: 0, released: holdUntil === 0, held: [], timedOut: false };
  const release = () => {
    state.released = true;
    for (const answer of state.held.splice(0)) answer();
  };
  const timer = holdUntil ? setTimeout(() => ((state.timedOut = true), release()), holdMs) : undefined;
  const server = http.createServer((req, res) => {
    state.open += 1;
    state.maxOpen = Math.max(state.maxOpen, state.open);
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let seq;
      try {
        seq = JSON.parse(Buffer.concat(chunks)).submission.data.seq;
      } catch {}
      state.seqs.push(seq);
      const n = state.seqs.filter((s) => s === seq).length;
      const { status } = decide(seq, n);
      const answer = () =>
        setTimeout(() => {
          if (status < 300) state.delivered.push(seq);
          state.open -= 1;
          res.writeHead(status);
          res.end("ok");
        }, delayMs);
      if (state.released) return answer();
      state.held.push(answer);
      if (state.open >= holdUntil) release();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const receiver = {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    state,
    close: () => {
      clearTimeout(timer);
      release();
      server.closeAllConnections?.();
      return new Promise((r) => server.close(r));
    },
  };
  servers.push(receiver);
  return receiver;
}

async function setup(id, url, endpoint) {
  const form = await api("POST", "/api/forms", { id, rate_limit_per_minute: 0, max_submissions_per_minute: 0 });
  assert.equal(form.status, 201, JSON.stringify(form.json));
  const ep = await api("POST", `/api/forms/${id}/endpoints`, { url, ...endpoint });
  assert.equal(ep.status, 201, JSON.stringify(ep.json));
  return ep.json;
}

async function submit(form, seq) {
  const res = await fetch(`${worker.url}/f/${form}`, {
    method: "POST",
    body: `name=Ada&seq=${seq}`,
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
  });
  assert.equal(res.status, 201, await res.text());
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-e2e-throughput-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
});

after(async () => {
  await worker?.stop();
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("delivery window settings", () => {
  test("defaults, bounds and FIFO are settings of the endpoint", async () => {
    const r = await countingReceiver();
    const ep = await setup("window-settings", r.url, {});
    assert.equal(ep.max_in_flight, 5);
    assert.equal(ep.fifo, false);
    const path = `/api/forms/window-settings/endpoints/${ep.id}`;
    for (const bad of [0, 25, -1, "3"]) {
      const res = await api("PATCH", path, { max_in_flight: bad });
      assert.equal(res.status, 422, `${bad}: ${JSON.stringify(res.json)}`);
      assert.equal(res.json.error.code, "invalid_field");
      assert.match(res.json.error.message, /max_in_flight/);
    }
    const changed = await api("PATCH", path, { max_in_flight: 12, fifo: true });
    assert.equal(changed.status, 200, JSON.stringify(changed.json));
    assert.equal(changed.json.max_in_flight, 12);
    assert.equal(changed.json.fifo, true);
    assert.equal((await api("GET", path)).json.fifo, true);
  });
});

describe("FIFO", () => {
  test("delivers in submission order, one at a time, when the receiver is slow and fails once", async () => {
    // seq 1 fails on its first attempt; every answer takes 100 ms.
    const r = await countingReceiver({ decide: (seq, n) => ({ status: seq === "1" && n === 1 ? 500 : 200 }), delayMs: 100 });
    await setup("fifo", r.url, { fifo: true, max_in_flight: 5, retry_schedule: [300, 300, 300, 300] });
    const count = 6;
    for (let seq = 0; seq < count; seq++) await submit("fifo", seq);
    await eventually(() => r.state.delivered.length >= count, 60_000, `${count} deliveries`);
    const expected = Array.from({ length: count }, (_, i) => String(i));
    assert.deepEqual(r.state.delivered, expected);
    // Every attempt in order: seq 1 twice, nothing after it until it was delivered.
    assert.deepEqual(r.state.seqs, ["0", "1", "1", "2", "3", "4", "5"]);
    assert.equal(r.state.maxOpen, 1);
  });
});

describe("in-flight limit", () => {
  for (const limit of [3, 8]) {
    test(`max_in_flight ${limit}: reached with a backlog, never exceeded`, async () => {
      // Each request is held until `limit` are open at once: the limit is reached only if the
      // worker really runs that many side by side (it has a backlog of 2 × limit).
      const r = await countingReceiver({ holdUntil: limit, delayMs: 20 });
      const form = `limit-${limit}`;
      await setup(form, r.url, { max_in_flight: limit, retry_schedule: "quick" });
      const count = 2 * limit;
      await Promise.all(Array.from({ length: count }, (_, seq) => submit(form, seq)));
      await eventually(() => new Set(r.state.delivered).size >= count, 90_000, `${count} deliveries`);
      assert.equal(r.state.timedOut, false, `never ${limit} in flight at once (most: ${r.state.maxOpen})`);
      assert.equal(r.state.maxOpen, limit);
    });
  }
});

describe("work counters", () => {
  test("GET /api/forms/{id}/work counts what a delivered submission cost", async () => {
    const r = await countingReceiver();
    const ep = await setup("work", r.url, {});
    const before = (await api("GET", "/api/forms/work/work")).json;
    await submit("work", 1);
    await eventually(() => r.state.delivered.length >= 1, 30_000, "the delivery");
    const after = await eventually(async () => {
      const res = await api("GET", "/api/forms/work/work");
      return res.json.total.deliveries_sent > before.total.deliveries_sent ? res : undefined;
    }, 30_000, "counted attempt");
    assert.equal(after.status, 200);
    assert.deepEqual(after.json.endpoints.map((e) => e.id), [ep.id]);
    const diff = (key) => after.json.total[key] - before.total[key];
    assert.equal(diff("deliveries_sent"), 1);
    assert.ok(diff("requests") >= 2, `requests ${diff("requests")}`);
    assert.ok(diff("rows_written") >= 2, `rows written ${diff("rows_written")}`);
    assert.ok(diff("object_calls") >= 1, `object calls ${diff("object_calls")}`);
    assert.equal((await api("GET", "/api/forms/nope/work")).status, 404);
  });
});

describe("shards", () => {
  test("a form spread over 3 objects takes, lists and delivers every submission once", async () => {
    const r = await countingReceiver();
    await setup("sharded", r.url, {});
    assert.equal((await api("PATCH", "/api/forms/sharded", { shards: 17 })).status, 422);
    const patched = await api("PATCH", "/api/forms/sharded", { shards: 3 });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    assert.equal(patched.json.shards, 3);
    const count = 30;
    for (let seq = 0; seq < count; seq++) await submit("sharded", seq);
    await eventually(() => new Set(r.state.delivered).size >= count, 60_000, `${count} deliveries`);
    assert.equal(r.state.delivered.length, count);
    // The listing merges the shards' pages, newest first, each submission once.
    const listed = [];
    let cursor;
    do {
      const page = await api("GET", `/api/forms/sharded/submissions?limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      assert.equal(page.status, 200, JSON.stringify(page.json));
      listed.push(...page.json.data);
      cursor = page.json.next_cursor;
    } while (cursor);
    const ids = listed.map((s) => s.id);
    assert.deepEqual(ids, [...ids].sort().reverse());
    assert.deepEqual(listed.map((s) => Number(s.data.seq)).sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i));
    // Each is found by id, whichever shard holds it.
    for (const s of listed) {
      const got = await api("GET", `/api/forms/sharded/submissions/${s.id}`);
      assert.equal(got.status, 200, `${s.id}: ${JSON.stringify(got.json)}`);
      assert.equal(got.json.data.seq, s.data.seq);
    }
    // The CSV export merges the shards too: every submission once, newest first.
    const csv = await fetch(`${worker.url}/api/forms/sharded/submissions.csv`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(csv.status, 200);
    const lines = (await csv.text()).split("\r\n").filter(Boolean);
    const header = lines[0].split(",");
    assert.equal(header[0], "submission_id");
    const seqColumn = header.indexOf("seq");
    assert.ok(seqColumn > 0, lines[0]);
    const rows = lines.slice(1).map((l) => l.split(","));
    assert.deepEqual(rows.map((r) => r[0]), ids);
    assert.deepEqual(rows.map((r) => Number(r[seqColumn])).sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i));
    // The other shards took submissions (30 spread at random over 3 objects).
    const work = (await api("GET", "/api/forms/sharded/work")).json;
    assert.equal(work.shards.length, 2);
    assert.ok(work.shards.some((w) => w.rows_written > 0), JSON.stringify(work.shards));
    // Deleting the form deletes every shard: a new form with the same id starts empty.
    assert.equal((await api("DELETE", "/api/forms/sharded")).status, 204);
    await setup("sharded", r.url, {});
    assert.equal((await api("PATCH", "/api/forms/sharded", { shards: 3 })).status, 200);
    assert.deepEqual((await api("GET", "/api/forms/sharded/submissions")).json.data, []);
  });
});
