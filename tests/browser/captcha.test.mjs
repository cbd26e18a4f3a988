// Spam protection in real Chromium, served by the real worker with a local siteverify server:
// the owner sets a Turnstile captcha in the dashboard (the secret is never shown again); the
// demo form renders the widget and its token passes; offline, the demo form says the check
// could not load and the worker refuses the post; a post stored as spam (siteverify down,
// accept_as_spam) is shown with its reason and delivered by "Not spam".
// The provider's script cannot load here (no internet): one test serves a stand-in at its URL
// that renders as Turnstile's implicit rendering does (a hidden `cf-turnstile-response` input
// in each `.cf-turnstile` element), the other lets it fail.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { chromium } from "playwright-core";
import { startWorker } from "../../scripts/serve.mjs";
import { startReceiver } from "../worker/receiver.mjs";
import { startSiteverify } from "../worker/siteverify.mjs";

const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

const SECRET = `0x4AAAAAAA-${randomBytes(12).toString("hex")}`;
const SITE_KEY = "1x00000000000000000000AA";
let worker;
let browser;
let dir;
let receiver;
let siteverify;
const token = randomBytes(16).toString("hex");

async function api(method, path, body) {
  const res = await fetch(`${worker.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json().catch(() => undefined) };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-browser-captcha-"));
  siteverify = await startSiteverify({ secrets: { turnstile: SECRET }, hostname: "127.0.0.1" });
  worker = await startWorker({
    port: 0,
    persistDir: dir,
    adminToken: token,
    ssrfAllowlist: "127.0.0.1",
    quiet: true,
    vars: { TURNSTILE_SITEVERIFY_URL: siteverify.url("turnstile") },
  });
  receiver = await startReceiver();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await worker?.stop();
  await receiver?.close();
  await siteverify?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Turnstile's implicit rendering, reduced to what the form sees: a token input per widget. */
const TURNSTILE_STAND_IN = `
  let n = 0;
  const render = () => document.querySelectorAll(".cf-turnstile").forEach((el) => {
    el.replaceChildren();
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "cf-turnstile-response";
    input.value = "ok#browser-" + Date.now() + "-" + ++n;
    el.append(input);
  });
  window.turnstile = { reset: render };
  render();
`;

test("the owner sets a captcha in the dashboard; the demo form's widget token passes and is delivered with the verdict", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route("https://challenges.cloudflare.com/**", (route) =>
    route.fulfill({ status: 200, contentType: "text/javascript", body: TURNSTILE_STAND_IN }),
  );
  await page.goto(`${worker.url}/dashboard/`);
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Id (optional: a-z, 0-9, _ and -)").fill("guarded");
  await page.getByLabel("Name", { exact: true }).fill("Guarded form");
  await page.getByRole("button", { name: "Create form" }).click();
  await page.getByRole("heading", { name: /Guarded form/ }).waitFor();
  await page.getByLabel("URL").fill(receiver.url);
  await page.getByLabel("Retry schedule").selectOption("quick");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await page.locator("#secret-dialog").waitFor({ state: "visible" });
  receiver.setSecrets(await page.locator("#secret-value").inputValue());
  await page.getByRole("button", { name: "I have stored it" }).click();
  // Adding the endpoint draws the form's page again: fill the panel once that is done.
  await page.locator("article.endpoint").waitFor();
  await page.waitForLoadState("networkidle");

  // Spam protection: Turnstile with its keys and the expected hostname.
  await page.getByLabel("Captcha provider").selectOption("turnstile");
  await page.getByLabel("Site key").fill(SITE_KEY);
  await page.getByLabel("Secret key").fill(SECRET);
  await page.getByLabel("Expected hostnames (empty = any)").fill("127.0.0.1");
  await page.getByRole("button", { name: "Save spam protection" }).click();
  await page.locator("#flash").filter({ hasText: "Spam protection saved." }).waitFor();
  await page.locator("#cp-secret-state").filter({ hasText: "A secret key is stored" }).waitFor();
  assert.equal(await page.getByLabel("Secret key").inputValue(), "", "the secret is not put back in the page");
  assert.equal((await page.content()).includes(SECRET), false);
  await shot(page, "dashboard-spam-protection");
  const form = await api("GET", "/forms/guarded");
  assert.equal(form.json.captcha.provider, "turnstile");
  assert.deepEqual(form.json.captcha.expected_hostnames, ["127.0.0.1"]);

  // The demo form renders the widget; its token passes siteverify.
  await page.goto(`${worker.url}/demo/?form=guarded`);
  await page.locator("#captcha-status").filter({ hasText: "Protected by Cloudflare Turnstile." }).waitFor();
  assert.equal(await page.locator('.cf-turnstile[data-sitekey="1x00000000000000000000AA"] input[name="cf-turnstile-response"]').count(), 1);
  await page.getByLabel("Name").fill("Ada Lovelace");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByRole("button", { name: "Submit with fetch" }).click();
  await page.locator("#answer").filter({ hasText: "Stored as sub_" }).waitFor();
  const [got] = await receiver.waitFor(() => true);
  assert.equal(got.verified, true);
  assert.deepEqual(got.json.submission.meta.captcha, { provider: "turnstile", success: true, hostname: "127.0.0.1", action: "contact" });
  assert.equal("cf-turnstile-response" in got.json.submission.data, false);
  assert.equal(siteverify.calls.at(-1).params.secret, SECRET);
  await shot(page, "demo-captcha-passed");

  // The widget was reset after the post: a second post has a new token and passes too.
  await page.getByRole("button", { name: "Submit with fetch" }).click();
  await receiver.waitForCount(() => true, 2);
  await context.close();
});

test("offline, the demo form says the check could not load, and the worker refuses the post", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route("https://challenges.cloudflare.com/**", (route) => route.abort("internetdisconnected"));
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${worker.url}/demo/?form=guarded`);
  await page.locator("#captcha-status").filter({ hasText: "could not load" }).waitFor();
  assert.match(await page.locator("#captcha-status").textContent(), /Cloudflare Turnstile.*challenges\.cloudflare\.com.*captcha_required/);
  await page.getByLabel("Name").fill("Offline");
  await page.getByLabel("Email").fill("offline@example.com");
  await page.getByRole("button", { name: "Submit with fetch" }).click();
  await page.locator("#answer").filter({ hasText: "403" }).waitFor();
  assert.match(await page.locator("#answer").textContent(), /captcha_required.*missing-input-response/);
  await shot(page, "demo-captcha-offline");

  // The plain HTML post gets the worker's page that says what failed.
  await page.getByRole("button", { name: "Submit (HTML post)" }).click();
  await page.getByRole("heading", { name: "Spam check not passed" }).waitFor();
  await page.getByRole("link", { name: "Back to the form" }).click();
  await page.getByRole("heading", { name: "Demo form" }).waitFor();
  assert.deepEqual(errors, [], "no script error on the page");
  await context.close();
});

test("a post stored as spam shows its reason in the dashboard; Not spam delivers it", async () => {
  await api("PATCH", "/forms/guarded", { captcha: { on_error: "accept_as_spam" } });
  const res = await fetch(`${worker.url}/f/guarded`, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
    body: "name=Kept&cf-turnstile-response=500%23spam-1",
  });
  const { id, spam } = await res.json();
  assert.equal(spam, true);
  const before = receiver.requests.length;

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/dashboard/`);
  await page.evaluate((t) => sessionStorage.setItem("formhook.adminToken", t), token);
  await page.goto(`${worker.url}/dashboard/#/forms/guarded`);
  const row = page.locator(`tr[data-submission="${id}"]`);
  await row.getByText("spam: captcha_unavailable").waitFor();
  await row.getByText("Cloudflare Turnstile: siteverify-server-error").waitFor();
  const rows = page.locator("#submissions tr[data-submission]");
  await page.getByLabel("Show").selectOption("false");
  await row.waitFor({ state: "detached" });
  await page.getByLabel("Show").selectOption("true");
  await row.waitFor();
  await page.waitForLoadState("networkidle");
  assert.equal(await rows.count(), 1, "spam only: the one spam post");
  await page.getByLabel("Show").selectOption("false");
  await rows.filter({ hasText: "Cloudflare Turnstile: passed" }).nth(1).waitFor();
  await page.waitForLoadState("networkidle");
  assert.equal(await row.count(), 0, "not spam: the spam post is not listed");
  assert.equal(await rows.count(), 2);
  await page.getByLabel("Show").selectOption("true");
  await row.waitFor();
  await shot(page, "dashboard-spam-reason");
  await row.getByRole("button", { name: "Not spam" }).click();
  await page.locator("#flash").filter({ hasText: "Marked as not spam; delivering to 1 endpoint(s)." }).waitFor();
  const [got] = await receiver.waitFor((q) => q.json.submission.id === id);
  assert.equal(got.verified, true);
  assert.ok(receiver.requests.length > before);
  // The list is drawn again without the spam mark.
  await page.locator(`tr[data-submission="${id}"] .badge.warn`).waitFor({ state: "detached" });
  await page.locator(`tr[data-submission="${id}"]`).waitFor();
  assert.equal((await api("GET", `/forms/guarded/submissions/${id}`)).json.spam, false);
  await context.close();
});
