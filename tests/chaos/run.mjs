// Chaos run: many submissions to a local worker whose receivers misbehave, while the worker is
// killed with SIGKILL and restarted. Afterwards: was anything accepted lost?
//
//   node tests/chaos/run.mjs [--submissions 1000] [--seconds 180] [--restarts 3] [--settle 240]
//
// Pass: every accepted submission reaches every endpoint (all receivers are healthy eventually),
// every attempt at a submission (retries, repeats after a restart) carries the webhook-id of the
// first, and spam is never delivered (with some spam accepted, so that check has something to see).
// Exit code 0 on pass, 1 on fail. Loopback only.
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { startWorker } from "../../scripts/serve.mjs";
import { Webhook } from "../../pkg/dist/node.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

export async function chaos({ submissions = 1000, seconds = 180, restarts = 3, settle = 240, log = console.log } = {}) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  let seed = 0x2545f491;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);

  // Receivers: each misbehaves differently; all are healthy eventually.
  const behaviours = {
    flaky: () => {
      const r = random();
      if (r < 0.25) return { status: 500 };
      if (r < 0.35) return { status: 429, retryAfter: "1" };
      if (r < 0.4) return { hang: true };
      if (r < 0.45) return { destroy: true };
      return { status: 200 };
    },
    outage: () => ({ status: 200 }), // down (not listening) for a while, below
    slow: () => (random() < 0.2 ? { delay: 800, status: 200 } : { status: 204 }),
  };
  const receivers = {};
  for (const name of Object.keys(behaviours)) {
    // `attempts`: every verified request, whatever the answer, as {submission id, webhook-id}.
    const state = { name, secret: undefined, received: [], attempts: [], bad: 0, server: undefined, port: 0 };
    const handler = (req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        let verified = false;
        try {
          new Webhook(state.secret).verify(body, req.headers);
          verified = true;
        } catch {
          state.bad++;
        }
        if (verified) {
          const event = JSON.parse(body);
          state.attempts.push({ submission: event.submission?.id, id: req.headers["webhook-id"] });
        }
        const b = behaviours[name]();
        if (b.destroy) return req.socket.destroy();
        if (b.hang) return; // past the endpoint's timeout; the socket closes when the worker aborts
        const answer = () => {
          // Only a 2xx counts as received: that is what the worker records as delivered.
          if (verified && b.status < 300) {
            const event = JSON.parse(body);
            state.received.push({ id: req.headers["webhook-id"], seq: event.submission?.data?.seq });
          }
          res.writeHead(b.status, b.retryAfter ? { "retry-after": b.retryAfter } : {});
          res.end("ok");
        };
        b.delay ? setTimeout(answer, b.delay) : answer();
      });
    };
    state.listen = (port = 0) =>
      new Promise((resolve) => {
        state.server = http.createServer(handler);
        state.server.listen(port, "127.0.0.1", () => {
          state.port = state.server.address().port;
          resolve();
        });
      });
    await state.listen();
    receivers[name] = state;
  }

  const dir = mkdtempSync(join(tmpdir(), "formhook-chaos-"));
  const token = randomBytes(16).toString("hex");
  const options = { port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true };
  let worker = await startWorker(options);
  options.port = worker.port;
  const api = async (method, path, body) => {
    const res = await fetch(`${worker.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body && JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  await api("POST", "/api/forms", { id: "chaos", rate_limit_per_minute: 0 });
  const schedule = [0, 500, 1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000, 8000, 8000, 8000, 8000, 8000];
  for (const r of Object.values(receivers)) {
    const ep = await api("POST", "/api/forms/chaos/endpoints", {
      url: `http://127.0.0.1:${r.port}/hook`,
      retry_schedule: schedule,
      timeout_ms: 1500,
      throttle_floor_ms: 500,
      events: ["form.submission.created"],
    });
    r.secret = ep.secret;
  }
  // The outage receiver goes away now and comes back at 40 % of the run.
  const outage = receivers.outage;
  const outagePort = outage.port;
  await new Promise((r) => outage.server.close(r));
  outage.server.closeAllConnections?.();

  const accepted = new Set();
  const spamAccepted = new Set();
  let lostResponses = 0;
  let refused = 0;
  const started = Date.now();
  const restartTimes = Array.from({ length: restarts }, (_, i) => started + ((i + 1) * seconds * 1000) / (restarts + 1));
  let restartsDone = 0;
  let next = 0;
  let outageOver = false;

  async function submitter() {
    while (next < submissions) {
      const seq = next++;
      const spam = seq % 50 === 7;
      // Pace the run over `seconds`.
      const due = started + (seq / submissions) * seconds * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
      const body = new URLSearchParams({ name: `chaos ${seq}`, seq: String(seq), ...(spam ? { _gotcha: "bot" } : {}) });
      for (;;) {
        try {
          const res = await fetch(`${worker.url}/f/chaos`, { method: "POST", body, headers: { accept: "application/json" } });
          if (res.status === 201) {
            (spam ? spamAccepted : accepted).add(String(seq));
            break;
          }
          refused++;
        } catch {
          lostResponses++; // the server was down or died mid-request: post again
        }
        await sleep(200);
      }
    }
  }
  async function saboteur() {
    while (restartsDone < restarts) {
      const at = restartTimes[restartsDone];
      if (Date.now() < at) await sleep(Math.min(250, at - Date.now()));
      else {
        await worker.kill9();
        await sleep(500);
        worker = await startWorker(options);
        restartsDone++;
        log(`[chaos] SIGKILL + restart ${restartsDone}/${restarts} at ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
      if (!outageOver && Date.now() > started + seconds * 400) {
        await outage.listen(outagePort);
        outageOver = true;
        log(`[chaos] outage receiver back at ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
    }
    if (!outageOver) {
      await outage.listen(outagePort);
      outageOver = true;
    }
  }
  await Promise.all([saboteur(), ...Array.from({ length: 8 }, submitter)]);
  log(`[chaos] ${accepted.size + spamAccepted.size} submissions accepted in ${((Date.now() - started) / 1000).toFixed(0)} s; settling`);

  const missingAt = (r) => [...accepted].filter((seq) => !r.received.some((x) => x.seq === seq));
  const settleUntil = Date.now() + settle * 1000;
  while (Date.now() < settleUntil && Object.values(receivers).some((r) => missingAt(r).length > 0)) await sleep(1000);

  const rows = [];
  let pass = true;
  for (const r of Object.values(receivers)) {
    const bySeq = new Map();
    for (const { id, seq } of r.received) {
      if (!bySeq.has(seq)) bySeq.set(seq, new Set());
      bySeq.get(seq).add(id);
    }
    const ids = new Set(r.received.map((x) => x.id));
    const duplicates = r.received.length - ids.size;
    // A submission re-posted after a lost response is a second submission (a second id): shown,
    // not a failure.
    const repostedTwice = [...bySeq.values()].filter((set) => set.size > 1).length;
    // Every attempt at one submission (retries, and repeats after a restart) must carry the
    // webhook-id of the first: receivers deduplicate by it.
    const idsBySubmission = new Map();
    for (const { submission, id } of r.attempts) {
      if (!idsBySubmission.has(submission)) idsBySubmission.set(submission, new Set());
      idsBySubmission.get(submission).add(id);
    }
    const idChanged = [...idsBySubmission.values()].filter((set) => set.size > 1).length;
    const missing = missingAt(r).length;
    const spamDelivered = [...spamAccepted].filter((seq) => bySeq.has(seq)).length;
    rows.push({ endpoint: r.name, received: r.received.length, unique_ids: ids.size, duplicates, missing, spam_delivered: spamDelivered, bad_signatures: r.bad, id_changed: idChanged, reposted_twice: repostedTwice });
    if (missing > 0 || spamDelivered > 0 || r.bad > 0 || idChanged > 0) pass = false;
    // The webhook-id check saw every accepted submission.
    if (idsBySubmission.size < accepted.size) pass = false;
  }
  // Without accepted spam, "spam is never delivered" would hold vacuously.
  if (accepted.size === 0 || (submissions > 7 && spamAccepted.size === 0)) pass = false;
  log(`[chaos] accepted ${accepted.size} (+${spamAccepted.size} spam), client retries after lost responses ${lostResponses}, refused ${refused}, restarts ${restartsDone}`);
  log("| endpoint | deliveries | unique webhook-ids | duplicates (same id) | missing | spam delivered | bad signatures | submissions whose webhook-id changed | seq posted twice |");
  log("|---|---|---|---|---|---|---|---|---|");
  for (const row of rows) log(`| ${Object.values(row).join(" | ")} |`);
  log(pass ? "[chaos] PASS: nothing lost" : "[chaos] FAIL");

  await worker.stop();
  for (const r of Object.values(receivers)) r.server?.close();
  rmSync(dir, { recursive: true, force: true });
  return { pass, accepted: accepted.size, spam: spamAccepted.size, restarts: restartsDone, rows, lostResponses };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await chaos({
    submissions: arg("submissions", 1000),
    seconds: arg("seconds", 180),
    restarts: arg("restarts", 3),
    settle: arg("settle", 240),
  });
  process.exit(result.pass ? 0 : 1);
}
