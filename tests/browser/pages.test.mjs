// The pages in real Chromium (Debian's, driven by playwright-core), served by the real worker:
// the playground verifies the official vector and rejects a tampered one; a demo-form
// submission shows up delivered in the dashboard; Replay creates a new attempt; phone width.
// Screenshots go to tests/artifacts/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { chromium } from "playwright-core";
import { startWorker } from "../../scripts/serve.mjs";
import { startReceiver } from "../worker/receiver.mjs";

const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

let worker;
let browser;
let dir;
let receiver;
const token = randomBytes(16).toString("hex");

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-browser-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
  receiver = await startReceiver();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // Every page runs under the worker's Content-Security-Policy: anything it blocks is a failure.
  const watch = async (target) => {
    await target.exposeFunction("reportCspViolation", (text) => cspViolations.push(text));
    await target.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) =>
        window.reportCspViolation(`${document.location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`),
      );
    });
    return target;
  };
  // (browser.newPage goes through newContext too.)
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => watch(await newContext(...args));
});

const cspViolations = [];

after(async () => {
  try {
    // Checked once every test has run: no page broke the Content-Security-Policy.
    assert.deepEqual(cspViolations, [], "blocked by the Content-Security-Policy");
  } finally {
    await browser?.close();
    await worker?.stop();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("playground: the official Standard Webhooks vector verifies; a tampered body does not", async () => {
  const page = await browser.newPage();
  await page.goto(`${worker.url}/playground/`);
  await page.getByRole("button", { name: "Load the official Standard Webhooks example" }).click();
  const result = page.locator("#result");
  await result.filter({ hasText: "Valid signature" }).waitFor();
  assert.match(await page.locator("#canonical").textContent(), /^msg_p5jXN8AQM9LWM0D4loKWxJek\.1614265330\.\{"test": 2432232314\}$/);
  await shot(page, "playground-valid");

  await page.getByLabel("Raw body").fill('{"test": 2432232315}');
  await page.getByRole("button", { name: "Verify" }).click();
  await result.filter({ hasText: "Invalid: no matching signature" }).waitFor();
  await shot(page, "playground-tampered");

  // The real clock: the 2021 timestamp is far outside the tolerance, with the skew shown.
  await page.getByLabel("Raw body").fill('{"test": 2432232314}');
  await page.getByLabel("Now (Unix seconds; empty = this clock)").fill("");
  await page.getByRole("button", { name: "Verify" }).click();
  await result.filter({ hasText: "Invalid: timestamp too old" }).waitFor();
  assert.match(await result.textContent(), /Skew: \d+ s/);

  // Sign with another scheme, then verify what was signed.
  await page.getByLabel("Scheme").selectOption("github");
  await page.getByLabel("Secret", { exact: true }).fill("It's a Secret to Everybody");
  await page.getByLabel("Raw body").fill("Hello, World!");
  await page.getByRole("button", { name: "Sign the body into the headers" }).click();
  assert.match(await page.getByLabel(/^Headers/).inputValue(), /x-hub-signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17/);
  await result.filter({ hasText: "Valid signature" }).waitFor();
  await page.close();
});

test("demo form → delivered in the dashboard; Replay creates a new attempt with the same webhook-id", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/dashboard/`);
  // Sign-in: a wrong token first, then the right one.
  await page.getByLabel("Admin token").fill("wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#flash").filter({ hasText: "401" }).waitFor();
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("No forms yet").waitFor();
  await shot(page, "dashboard-empty");

  await page.getByLabel("Id (optional: a-z, 0-9, _ and -)").fill("demo");
  await page.getByLabel("Name", { exact: true }).fill("Demo form");
  await page.getByRole("button", { name: "Create form" }).click();
  await page.getByRole("heading", { name: /Demo form/ }).waitFor();
  await page.getByText("No endpoints yet").waitFor();

  await page.getByLabel("URL").fill(receiver.url);
  await page.getByLabel("Retry schedule").selectOption("quick");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const dialog = page.locator("#secret-dialog");
  await dialog.waitFor({ state: "visible" });
  const secret = await page.locator("#secret-value").inputValue();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  receiver.setSecrets(secret);
  await shot(page, "dashboard-secret-reveal");
  await page.getByRole("button", { name: "I have stored it" }).click();
  assert.equal(await page.locator("#secret-value").inputValue(), "", "the secret is cleared once dismissed");

  // The demo form, posted with fetch from the page (same tab: the token is in session storage).
  await page.goto(`${worker.url}/demo/?form=demo`);
  await page.getByLabel("Name").fill("Ada Lovelace");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Message").fill("Hello from Chromium");
  await page.getByLabel("Attachment (optional)").setInputFiles({ name: "note.txt", mimeType: "text/plain", buffer: Buffer.from("a small file") });
  await page.getByRole("button", { name: "Submit with fetch" }).click();
  await page.locator("#answer").filter({ hasText: "Stored as sub_" }).waitFor();
  await page.locator("#deliveries .badge.ok", { hasText: "delivered" }).waitFor();
  await shot(page, "demo-delivered");
  const [first] = await receiver.waitFor(() => true);
  assert.equal(first.verified, true);
  assert.equal(first.json.submission.data.name, "Ada Lovelace");
  assert.equal(first.json.submission.files[0].filename, "note.txt");

  // The plain HTML post: a navigation, answered 303 → the thank-you page.
  await page.getByLabel("Name").fill("Grace Hopper");
  await page.getByLabel("Email").fill("grace@example.com");
  await page.getByRole("button", { name: "Submit (HTML post)" }).click();
  await page.getByRole("heading", { name: "Thank you!" }).waitFor();
  await receiver.waitForCount(() => true, 2);

  // Dashboard: the endpoint's log shows both deliveries as delivered, with a sparkline.
  await page.goto(`${worker.url}/dashboard/#/forms/demo`);
  await page.getByRole("link", { name: "Delivery log" }).click();
  await page.getByRole("heading", { name: "Delivery log" }).waitFor();
  await page.locator("#deliveries .badge.ok", { hasText: "delivered" }).nth(1).waitFor();
  assert.ok(await page.locator("svg.spark rect").count() >= 2);
  await shot(page, "dashboard-delivery-log");

  // Edit the endpoint from its page.
  await page.getByLabel("Description").fill("CRM sync");
  await page.getByLabel("Timeout (ms)").fill("5000");
  await page.getByRole("button", { name: "Save endpoint" }).click();
  await page.locator("#flash").filter({ hasText: "Endpoint saved." }).waitFor();
  const saved = await page.evaluate(async (t) => {
    const res = await fetch("/api/forms/demo/endpoints", { headers: { authorization: `Bearer ${t}` } });
    return (await res.json()).data[0];
  }, token);
  assert.equal(saved.description, "CRM sync");
  assert.equal(saved.timeout_ms, 5000);

  // Replay the first submission from the submissions list.
  await page.goto(`${worker.url}/dashboard/#/forms/demo`);
  const row = page.locator(`tr[data-submission="${first.json.submission.id}"]`);
  await row.getByRole("button", { name: "Replay" }).click();
  await page.locator("#flash").filter({ hasText: "Replay queued" }).waitFor();
  const replayed = await receiver.waitForCount(() => true, 3);
  const again = replayed[2];
  assert.equal(again.headers["webhook-id"], first.headers["webhook-id"]);
  assert.notEqual(again.headers["x-formhook-delivery"], first.headers["x-formhook-delivery"]);
  await page.goto(`${worker.url}/dashboard/#/forms/demo`);
  await page.getByRole("link", { name: "Delivery log" }).click();
  await page.locator("#deliveries .badge", { hasText: "replay" }).waitFor();
  // Expanding a delivery shows its attempts with latency.
  await page.locator("#deliveries").getByRole("button", { name: "Attempts" }).first().click();
  await page.locator("#deliveries").getByText(/\d+ ms/).first().waitFor();
  await shot(page, "dashboard-replay");
  await context.close();
});

test("phone width: no horizontal overflow, every control labelled", async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await context.newPage();
  await page.goto(`${worker.url}/dashboard/`);
  await page.evaluate((t) => sessionStorage.setItem("formhook.adminToken", t), token);
  for (const path of ["/", "/playground/", "/demo/", "/dashboard/#/forms/demo", "/dashboard/#/"]) {
    await page.goto(`${worker.url}${path}`);
    await page.waitForLoadState("networkidle");
    if (path.includes("forms/demo")) await page.getByRole("heading", { name: "Endpoints" }).waitFor();
    const { overflow, unlabelled } = await page.evaluate(() => ({
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      unlabelled: [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
        .filter((el) => !el.closest("[aria-hidden=true]"))
        .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")))
        .map((el) => el.id || el.name || el.outerHTML.slice(0, 60)),
    }));
    assert.ok(overflow <= 0, `${path} overflows by ${overflow}px at 375px`);
    assert.deepEqual(unlabelled, [], `${path}: controls without a label`);
    await shot(page, `phone${path.replaceAll(/[/#]+/g, "-").replace(/-$/, "") || "-home"}`);
  }
  await context.close();
});

test("v1a: the playground verifies with a whpk_ public key; the dashboard creates an ed25519 endpoint and shows its key", async () => {
  const { generateKeyPair, Webhook } = await import("../../pkg/dist/node.mjs");
  const { secretKey, publicKey } = generateKeyPair();
  const body = '{"type":"form.submission.created"}';
  const ts = Math.floor(Date.now() / 1000);
  const signature = new Webhook(secretKey).sign("msg_v1a", ts, body);
  assert.match(signature, /^v1a,/);
  const page = await browser.newPage();
  await page.goto(`${worker.url}/playground/`);
  await page.getByLabel("Scheme").selectOption("standard-webhooks");
  await page.getByLabel("Secret", { exact: true }).fill(publicKey);
  await page.getByLabel("Raw body").fill(body);
  await page.getByLabel(/^Headers/).fill(`webhook-id: msg_v1a\nwebhook-timestamp: ${ts}\nwebhook-signature: ${signature}`);
  await page.getByLabel("Now (Unix seconds; empty = this clock)").fill(String(ts));
  await page.getByRole("button", { name: "Verify" }).click();
  const result = page.locator("#result");
  await result.filter({ hasText: "Valid signature" }).waitFor();
  await page.getByLabel("Raw body").fill(body.replace("created", "deleted"));
  await page.getByRole("button", { name: "Verify" }).click();
  await result.filter({ hasText: "Invalid: no matching signature" }).waitFor();
  await page.close();

  const dash = await (await browser.newContext()).newPage();
  await dash.goto(`${worker.url}/dashboard/`);
  await dash.getByLabel("Admin token").fill(token);
  await dash.getByRole("button", { name: "Sign in" }).click();
  await dash.getByLabel("Id (optional: a-z, 0-9, _ and -)").fill("keys");
  await dash.getByRole("button", { name: "Create form" }).click();
  // The dashboard opens the new form's page itself once it is created.
  await dash.getByRole("heading", { name: "Endpoints" }).waitFor();
  await dash.getByLabel("URL", { exact: true }).fill(receiver.url);
  await dash.getByLabel(/^Signing keys/).selectOption("ed25519");
  await dash.getByRole("button", { name: "Add endpoint" }).click();
  const shown = dash.locator("code.public-key");
  await shown.waitFor();
  const key = await shown.textContent();
  assert.match(key, /^whpk_/);
  const endpoints = await (await fetch(`${worker.url}/api/forms/keys/endpoints`, { headers: { authorization: `Bearer ${token}` } })).json();
  const published = await (await fetch(`${worker.url}/keys/${endpoints.data[0].id}`)).json();
  assert.equal(published.keys[0].public_key, key);
  await shot(dash, "dashboard-ed25519-endpoint");
  await dash.close();
});
