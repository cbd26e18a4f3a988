// What a visitor sees, in real Chromium (Debian's, driven by playwright-core) against the real
// worker: a slow double-click on submit stores one submission and delivers it once; the error
// pages of HTML posts say the limit or cause in plain words, and their "Back to the form" link
// returns to the form with what was typed; the thank-you page links back to the form's page.
// The form pages are served from another origin on 127.0.0.1, as a site embedding a form would.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startWorker } from "../../scripts/serve.mjs";
import { eventually, startReceiver } from "../worker/receiver.mjs";

const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

let worker;
let browser;
let dir;
let receiver;
let site;
let siteUrl;
const token = randomBytes(16).toString("hex");
const cspViolations = [];

async function api(method, path, body) {
  const res = await fetch(`${worker.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function form(id, settings = {}, withEndpoint = false) {
  const created = await api("POST", "/forms", { id, rate_limit_per_minute: 0, ...settings });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  if (!withEndpoint) return undefined;
  const ep = await api("POST", `/forms/${id}/endpoints`, { url: receiver.url });
  assert.equal(ep.status, 201, JSON.stringify(ep.json));
  receiver.setSecrets(ep.json.secret);
  return ep.json;
}

const submissions = async (id) => (await api("GET", `/forms/${id}/submissions`)).json.data;

// `/page/{form_id}?…`: a page with a form that posts to the worker. The page asks for its full
// URL as the Referer even across origins (by default a cross-origin post names only the origin).
function formPage(formId) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Contact ${formId}</title>
<meta name="referrer" content="no-referrer-when-downgrade"></head><body>
<h1>Contact ${formId}</h1>
<form method="post" action="${worker.url}/f/${formId}">
<label>Name <input id="name" name="name"></label>
<label>Message <textarea id="message" name="message"></textarea></label>
<button id="send">Send</button>
</form></body></html>`;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-visitors-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
  receiver = await startReceiver();
  site = http.createServer((req, res) => {
    const match = /^\/page\/([a-z0-9-]+)/.exec(req.url);
    res.writeHead(match ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(match ? formPage(match[1]) : "not found");
  });
  await new Promise((r) => site.listen(0, "127.0.0.1", r));
  siteUrl = `http://127.0.0.1:${site.address().port}`;
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // Every page runs under its Content-Security-Policy: anything it blocks is a failure.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    await context.exposeFunction("reportCspViolation", (text) => cspViolations.push(text));
    await context.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) =>
        window.reportCspViolation(`${document.location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`),
      );
    });
    return context;
  };
});

after(async () => {
  try {
    assert.deepEqual(cspViolations, [], "blocked by the Content-Security-Policy");
  } finally {
    await browser?.close();
    await worker?.stop();
    await receiver?.close();
    site?.closeAllConnections?.();
    await new Promise((r) => (site ? site.close(r) : r()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a slow double-click on submit stores one submission, delivers it once and shows the thank-you page", async () => {
  await form("double", {}, true);
  const context = await browser.newContext();
  const page = await context.newPage();
  // The first post reaches the worker (and is stored), but its answer is held back, as on a
  // slow connection; the visitor clicks again, which aborts the first navigation.
  let firstStored;
  const stored = new Promise((r) => (firstStored = r));
  let release;
  const held = new Promise((r) => (release = r));
  let posts = 0;
  await page.route(`${worker.url}/f/double`, async (route) => {
    posts += 1;
    const response = await route.fetch({ maxRedirects: 0 });
    if (posts === 1) {
      firstStored(response.status());
      await held;
    }
    // The first navigation was aborted by the second click: fulfilling it fails, harmlessly.
    await route.fulfill({ response }).catch(() => {});
  });
  await page.goto(`${siteUrl}/page/double?from=ad`);
  await page.locator("#name").fill("Grace");
  await page.locator("#message").fill("One message, clicked twice.");
  // Mouse clicks, as a visitor's: Playwright's locator.click would wait for the held navigation.
  const box = await page.locator("#send").boundingBox();
  const clickSend = () => page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await clickSend();
  assert.equal(await stored, 303, "the first post was stored and answered");
  await clickSend();
  // (Not waitForURL: the first navigation's abort would end that wait.)
  await page.getByRole("heading", { name: "Thank you!" }).waitFor();
  assert.match(page.url(), /\/thanks\?form=double&back=/);
  release();
  await page.unrouteAll({ behavior: "ignoreErrors" });
  assert.equal(posts, 2, "the browser sent the form twice");
  await shot(page, "visitors-double-click-thanks");

  const list = await submissions("double");
  assert.equal(list.length, 1, "stored once");
  assert.deepEqual(list[0].data, { name: "Grace", message: "One message, clicked twice." });
  const [got] = await receiver.waitFor((q) => q.json?.form?.id === "double");
  assert.equal(got.verified, true, got.error);
  assert.equal(got.json.submission.id, list[0].id);
  // Another post from the page is stored and delivered; by then the double-click's only
  // delivery has long been handed on.
  await page.goto(`${siteUrl}/page/double`);
  await page.locator("#name").fill("Grace");
  await page.locator("#message").fill("A second, different message.");
  await Promise.all([page.waitForURL(/\/thanks\?/), page.locator("#send").click()]);
  await receiver.waitFor((q) => q.json?.submission?.data?.message === "A second, different message.");
  assert.equal((await submissions("double")).length, 2);
  await eventually(async () => {
    const [ep] = (await api("GET", "/forms/double")).json.endpoint_ids;
    const deliveries = (await api("GET", `/forms/double/endpoints/${ep}/deliveries`)).json.data;
    return deliveries.length === 2 && deliveries.every((d) => d.status === "delivered");
  }, 30_000, "two deliveries, both delivered");
  assert.equal(receiver.requests.filter((q) => q.json?.form?.id === "double").length, 2);
  await context.close();
});

test("the same post twice within the window gets the first one's answer; other content or window 0 does not", async () => {
  await form("window");
  await form("nowindow", { duplicate_window_seconds: 0 });
  const post = async (id, body) => {
    const res = await fetch(`${worker.url}/f/${id}`, { method: "POST", body, headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(res.status, 201);
    return (await res.json()).id;
  };
  const first = await post("window", "name=Ada&message=hi");
  assert.equal(await post("window", "message=hi&name=Ada"), first, "same fields in another order");
  assert.notEqual(await post("window", "name=Ada&message=hi!"), first);
  assert.equal((await submissions("window")).length, 2);
  assert.notEqual(await post("nowindow", "a=1"), await post("nowindow", "a=1"));
  assert.equal((await submissions("nowindow")).length, 2);
  assert.equal((await api("GET", "/forms/window")).json.duplicate_window_seconds, 10);
  assert.equal((await api("PATCH", "/forms/window", { duplicate_window_seconds: 3601 })).status, 422);
  // Past the window the same post is a new submission (the worker's clock: the second post
  // leaves 1.5 s after the first one's answer arrived, so well over 1 s after it was stored).
  assert.equal((await api("PATCH", "/forms/window", { duplicate_window_seconds: 1 })).status, 200);
  const once = await post("window", "name=Bea");
  await new Promise((r) => setTimeout(r, 1500));
  assert.notEqual(await post("window", "name=Bea"), once, "a new submission once the window has passed");
});

/** Fills the form page of `formId`, posts it, and returns the page showing the answer. */
async function postFromPage(context, formId, name, message) {
  const page = await context.newPage();
  await page.goto(`${siteUrl}/page/${formId}?step=2`);
  await page.locator("#name").fill(name);
  await page.locator("#message").fill(message);
  await Promise.all([page.waitForURL(`${worker.url}/f/${formId}`), page.locator("#send").click()]);
  return page;
}

async function backRestoresTheForm(page, formId, name, message) {
  await Promise.all([page.waitForURL(`${siteUrl}/page/${formId}?step=2`), page.getByRole("link", { name: "Back to the form" }).click()]);
  await page.getByRole("heading", { name: `Contact ${formId}` }).waitFor();
  // Back in history, not a fresh load: what was typed is still there.
  assert.equal(await page.locator("#name").inputValue(), name);
  assert.equal(await page.locator("#message").inputValue(), message);
}

test("413: the page says the form's size limit, and Back to the form keeps what was typed", async () => {
  await form("small", { max_body_bytes: 200 });
  const context = await browser.newContext();
  const message = "A long message. ".repeat(20);
  const page = await postFromPage(context, "small", "Ada", message);
  await page.getByRole("heading", { name: "Too large to send" }).waitFor();
  assert.match(await page.locator("main").textContent(), /This form accepts at most 200 bytes in one submission/);
  await shot(page, "visitors-error-413");
  await backRestoresTheForm(page, "small", "Ada", message);
  assert.equal((await submissions("small")).length, 0);
  await context.close();
});

test("403: a post from a site the form does not allow says so, and Back keeps what was typed", async () => {
  await form("elsewhere", { allowed_origins: ["https://shop.example"] });
  const context = await browser.newContext();
  const page = await postFromPage(context, "elsewhere", "Bob", "Hello from the wrong site");
  await page.getByRole("heading", { name: "Not accepted from this site" }).waitFor();
  assert.match(await page.locator("main").textContent(), /only from the sites its owner listed/);
  await backRestoresTheForm(page, "elsewhere", "Bob", "Hello from the wrong site");
  await context.close();
});

test("429: the page says how many submissions a minute the form takes and how long to wait", async () => {
  await form("busy", { rate_limit_per_minute: 1 });
  const context = await browser.newContext();
  // The budget is per calendar minute: if the minute turns between using it up and the post,
  // the post is accepted; then use it up again and repeat.
  let page;
  for (let round = 0; round < 3 && !page; round++) {
    const used = await fetch(`${worker.url}/f/busy`, { method: "POST", body: `round=${round}`, headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" } });
    await used.arrayBuffer();
    const candidate = await postFromPage(context, "busy", "Cy", `Message ${round}`);
    if ((await candidate.getByRole("heading", { name: "Too many submissions" }).count()) > 0) page = candidate;
  }
  assert.ok(page, "a post past the budget got the 429 page");
  assert.match(await page.locator("main").textContent(), /at most 1 submission a minute from one visitor\. Wait \d+ seconds?, then send it again/);
  await shot(page, "visitors-error-429");
  await context.close();
});

test("the thank-you page's Back to the form link is the page the form was posted from", async () => {
  await form("thanks");
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${siteUrl}/page/thanks?x=1&y=%3Cb%3E`);
  await page.locator("#name").fill("Dee");
  await Promise.all([page.waitForURL(/\/thanks\?/), page.locator("#send").click()]);
  const link = page.getByRole("link", { name: "Back to the form" });
  assert.equal(await link.getAttribute("href"), `${siteUrl}/page/thanks?x=1&y=%3Cb%3E`);
  await Promise.all([page.waitForURL(`${siteUrl}/page/thanks?x=1&y=%3Cb%3E`), link.click()]);
  // A crafted back parameter is a link at most, never a redirect, and only an http(s) one.
  for (const back of ["javascript:alert(1)", "data:text/html,hi"]) {
    await page.goto(`${worker.url}/thanks?form=thanks&back=${encodeURIComponent(back)}`);
    await page.getByRole("heading", { name: "Thank you!" }).waitFor();
    assert.equal(await page.getByRole("link", { name: "Back to the form" }).count(), 0, back);
  }
  await context.close();
});
