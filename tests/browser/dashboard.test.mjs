// The dashboard a form owner uses every day, in real Chromium against the real worker and real
// receivers on 127.0.0.1: sign-in, onboarding snippet (pasted into a page and submitted),
// search, the submission detail view, CSV export, endpoint health, retry now / resend / replay
// all failed, attempt headers checked in the playground, schema-driven settings, no mid-word
// breaks. Screenshots go to tests/artifacts/dashboard/.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { chromium } from "playwright-core";
import { startWorker } from "../../scripts/serve.mjs";
import { eventually, startReceiver } from "../worker/receiver.mjs";
import { parseCsv } from "./csv.mjs";

const ARTIFACTS = new URL("../artifacts/dashboard/", import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

let worker;
let browser;
let dir;
const receivers = [];
const servers = [];
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

async function receiver(options) {
  const r = await startReceiver(options);
  receivers.push(r);
  return r;
}

async function endpoint(formId, r, options = {}) {
  const res = await api("POST", `/forms/${formId}/endpoints`, { url: r.url, ...options });
  assert.equal(res.status, 201, JSON.stringify(res.json));
  r.setSecrets(res.json.secret);
  return res.json;
}

async function submit(formId, fields, files = []) {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  for (const f of files) body.append(f.field, new Blob([f.bytes], { type: f.type }), f.name);
  const res = await fetch(`${worker.url}/f/${formId}`, { method: "POST", body, headers: { accept: "application/json" } });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).id;
}

/** A page signed in (the token in this tab's session storage). */
async function signedIn(options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on("dialog", (d) => page.dialogHandler?.(d) ?? d.accept());
  await page.goto(`${worker.url}/dashboard/`);
  await page.evaluate((t) => sessionStorage.setItem("formhook.adminToken", t), token);
  return page;
}

/** Words of badges and buttons that a line break cuts in two (each word must sit on one line). */
async function brokenWords(page) {
  return page.evaluate(() => {
    const broken = [];
    for (const el of document.querySelectorAll(".badge, button, a.button")) {
      if (!el.getClientRects().length) continue;
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const m of node.data.matchAll(/\S+/g)) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (lines.size > 1) broken.push(`${el.textContent.trim()} ("${m[0]}" on ${lines.size} lines)`);
        }
      }
    }
    return broken;
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-dashboard-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // The worker's pages run under its Content-Security-Policy: anything it blocks is a failure.
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
    for (const r of receivers) await r.close();
    for (const s of servers) await new Promise((r) => s.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("getting started", () => {
  test("sign-in: Sign out hidden, a masked token explained, the form-id pattern compiles", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors = [];
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    await page.goto(`${worker.url}/dashboard/`);
    await page.getByLabel("Admin token").waitFor();
    assert.equal(await page.locator("#sign-out").isVisible(), false, "Sign out is hidden on the sign-in page");
    assert.equal(await page.locator("#sign-out").evaluate((el) => getComputedStyle(el).display), "none");

    // The launcher prints the token masked: pasting that explains where the full one is.
    await page.getByLabel("Admin token").fill(`${token.slice(0, 4)}…`);
    await page.getByRole("button", { name: "Sign in" }).click();
    const flash = page.locator("#flash");
    await flash.filter({ hasText: "masked token" }).waitFor();
    const text = await flash.textContent();
    assert.match(text, /admin-token/);
    assert.match(text, /formhook-worker\.env/);
    assert.doesNotMatch(text, /ISO-8859-1/);
    await shot(page, "signin-masked-token");

    await page.getByLabel("Admin token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Forms" }).waitFor();
    assert.equal(await page.locator("#sign-out").isVisible(), true);
    // The id's pattern is a valid expression under the v flag, so the browser checks it.
    const id = page.getByLabel("Id (optional: a-z, 0-9, _ and -)");
    await id.fill("Not valid!");
    assert.equal(await id.evaluate((el) => el.validity.patternMismatch), true);
    await id.fill("good-id_1");
    assert.equal(await id.evaluate((el) => el.validity.valid), true);
    assert.deepEqual(consoleErrors.filter((e) => /pattern|regular expression/i.test(e)), []);
    assert.deepEqual(consoleErrors.filter((e) => /ISO-8859-1/.test(e)), []);
    await context.close();
  });

  test("onboarding: the snippet stays visible after creating a form, and pasted into a page it submits", async () => {
    const page = await signedIn();
    await page.goto(`${worker.url}/dashboard/#/`);
    await page.getByLabel("Id (optional: a-z, 0-9, _ and -)").fill("contact");
    await page.getByLabel("Name", { exact: true }).fill("Contact");
    await page.getByRole("button", { name: "Create form" }).click();
    await page.getByRole("heading", { name: "Endpoints" }).waitFor();
    await page.waitForLoadState("networkidle");
    // The message survives the hash change that opened the form's page.
    assert.match(await page.locator("#flash").textContent(), /Form contact created\. Point your HTML form at http:\/\/127\.0\.0\.1:\d+\/f\/contact/);
    assert.equal(await page.locator("#onboarding").getAttribute("open"), "");
    const plain = await page.locator("#snippet-html").textContent();
    assert.ok(plain.includes(`action="${worker.url}/f/contact" method="post">`), plain);
    assert.match(plain, /<input name="_gotcha" type="text" tabindex="-1" autocomplete="off" style="display:none">/);
    await page.getByLabel("The form uploads files (multipart)").check();
    const html = await page.locator("#snippet-html").textContent();
    assert.ok(html.includes(`action="${worker.url}/f/contact" method="post" enctype="multipart/form-data">`), html);
    assert.match(html, /type="file"/);
    const script = await page.locator("#snippet-fetch").textContent();
    await shot(page, "onboarding-snippet");
    assert.match(await page.locator("#flash").textContent(), /Form contact created/, "still shown");

    // A site on another origin (127.0.0.1, another port) with the snippet pasted in.
    const site = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      const body = req.url === "/fetch" ? `${html}\n${script}` : html;
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Site</title></head><body>${body}</body></html>`);
    });
    servers.push(site);
    await new Promise((r) => site.listen(0, "127.0.0.1", r));
    const siteUrl = `http://127.0.0.1:${site.address().port}`;
    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${siteUrl}/`);
    await visitor.getByLabel("Name").fill("Ada Lovelace");
    await visitor.getByLabel("Email").fill("ada@example.com");
    await visitor.getByLabel("Message").fill("Hello from a pasted snippet");
    await visitor.getByLabel("Attachment").setInputFiles({ name: "cv.txt", mimeType: "text/plain", buffer: Buffer.from("my cv") });
    await visitor.getByRole("button", { name: "Send" }).click();
    await visitor.getByRole("heading", { name: "Thank you!" }).waitFor();
    // With the fetch snippet the page stays and says thanks.
    await visitor.goto(`${siteUrl}/fetch`);
    await visitor.getByLabel("Name").fill("Grace Hopper");
    await visitor.getByLabel("Email").fill("grace@example.com");
    await visitor.getByRole("button", { name: "Send" }).click();
    await visitor.getByText("Thank you, we got your message.").waitFor();
    const { json } = await api("GET", "/forms/contact/submissions");
    const byEmail = Object.fromEntries(json.data.map((s) => [s.data.email, s]));
    assert.equal(byEmail["ada@example.com"].data.message, "Hello from a pasted snippet");
    assert.equal(byEmail["ada@example.com"].files[0].filename, "cv.txt");
    assert.equal(byEmail["ada@example.com"].spam, false, "the hidden honeypot stays empty");
    assert.equal(byEmail["grace@example.com"].spam, false);
    await visitor.context().close();
    await page.context().close();
  });
});

describe("submissions", () => {
  const long = `${"I would like to apply for the position. ".repeat(20)}Call me on +1 555 0199`;
  let ada;
  before(async () => {
    await api("POST", "/forms", { id: "jobs", name: "Job applications", rate_limit_per_minute: 0 });
    ada = await submit("jobs", { name: "Ada Lovelace", email: "ada@example.com", message: long }, [{ field: "cv", name: "cv.pdf", type: "application/pdf", bytes: "%PDF-1.4 ada" }]);
    await submit("jobs", { name: "Eve", email: "eve@example.com", message: "=HYPERLINK(\"http://evil.example\",\"click\")" });
    await submit("jobs", { name: "Grace Hopper", email: "grace@example.com", message: "-2+3" });
  });

  test("search by email finds one; the detail view shows a long message in full, files and deliveries", async () => {
    const page = await signedIn();
    await page.goto(`${worker.url}/dashboard/#/forms/jobs`);
    await page.locator("#submission-list tbody tr").nth(2).waitFor();
    // The list previews with an ellipsis; the phone number at the end is not in it.
    const row = page.locator(`tr[data-submission="${ada}"]`);
    assert.match(await row.locator(".preview").textContent(), /…$/);
    await page.getByLabel("Search field values").fill("ada@example.com");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await eventually(async () => (await page.locator("#submission-list tbody tr").count()) === 1, 20_000, "one row");
    assert.equal(await page.locator("#submission-list tbody tr").getAttribute("data-submission"), ada);
    await shot(page, "search-by-email");
    await page.getByRole("link", { name: `Open submission ${ada}` }).click();
    await page.getByRole("heading", { name: /Submission/ }).waitFor();
    const fields = page.locator("#submission-fields");
    await fields.waitFor();
    const shown = await fields.locator("dd").nth(2).textContent();
    assert.equal(shown, long, "the message in full");
    assert.ok(await fields.getByText("+1 555 0199").isVisible(), "the phone number at the end is visible");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download cv.pdf" }).click()]);
    assert.equal(download.suggestedFilename(), "cv.pdf");
    assert.equal(readFileSync(await download.path(), "utf8"), "%PDF-1.4 ada");
    await page.getByText("The form has no endpoints.").waitFor();
    await shot(page, "submission-detail");
    // Delete (after the confirmation): the submission and its file are gone from the API.
    const detail = (await api("GET", `/forms/jobs/submissions/${ada}`)).json;
    assert.equal(detail.files.length, 1);
    await page.getByRole("button", { name: "Delete submission" }).click();
    await page.locator("#flash").filter({ hasText: `Submission ${ada} deleted.` }).waitFor();
    assert.equal((await api("GET", `/forms/jobs/submissions/${ada}`)).status, 404);
    assert.equal((await fetch(`${worker.url}${detail.files[0].download_path}`, { headers: { authorization: `Bearer ${token}` } })).status, 404);
    assert.equal((await api("GET", "/forms/jobs/submissions?q=ada%40example.com")).json.data.length, 0);
    await page.context().close();
  });

  test("CSV export downloads, parses with the right columns, and neutralises formulas", async () => {
    const page = await signedIn();
    await page.goto(`${worker.url}/dashboard/#/forms/jobs`);
    await page.locator("#submission-list tbody tr").first().waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    assert.equal(download.suggestedFilename(), "jobs-submissions.csv");
    const rows = parseCsv(readFileSync(await download.path(), "utf8"));
    const [header, ...data] = rows;
    assert.deepEqual(header, ["submission_id", "received_at", "spam", "name", "email", "message", "files", "ip", "country", "user_agent", "referer"]);
    const byEmail = Object.fromEntries(data.map((r) => [r[4], r]));
    assert.equal(byEmail["eve@example.com"][5], "'=HYPERLINK(\"http://evil.example\",\"click\")");
    assert.equal(byEmail["grace@example.com"][5], "'-2+3");
    assert.ok(data.length >= 2);
    if (byEmail["ada@example.com"]) {
      assert.equal(byEmail["ada@example.com"][5], long);
      assert.equal(byEmail["ada@example.com"][6], "cv.pdf");
    }
    // Narrowed by the search box, the export holds only what matches.
    await page.getByLabel("Search field values").fill("grace");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const [narrow] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    const only = parseCsv(readFileSync(await narrow.path(), "utf8"));
    assert.deepEqual(only.slice(1).map((r) => r[4]), ["grace@example.com"]);
    await page.context().close();
  });
});

describe("endpoints", () => {
  let answer = 500;
  let r;
  let ep;
  before(async () => {
    await api("POST", "/forms", { id: "support", name: "Support", rate_limit_per_minute: 0 });
    r = await receiver({ respond: () => ({ status: answer, body: "receiver database is down" }) });
    // The first attempt at once, the next an hour later: the deliveries stay pending, retrying.
    ep = await endpoint("support", r, { retry_schedule: [0, 3_600_000] });
    await submit("support", { email: "one@example.com" });
    await submit("support", { email: "two@example.com" });
    await r.waitForCount(() => true, 2);
    await eventually(async () => (await api("GET", `/forms/support/endpoints/${ep.id}`)).json.stats.retrying === 2);
  });

  test("a failing endpoint's card and the forms list show failing since and the last error; counts match the log", async () => {
    const page = await signedIn();
    await page.goto(`${worker.url}/dashboard/#/forms/support`);
    const card = page.locator(`article[data-endpoint="${ep.id}"]`);
    await card.locator(".health-alert").waitFor();
    const alert = await card.locator(".health-alert").textContent();
    assert.match(alert, /^Failing since .+ — last error HTTP 500/);
    assert.equal(await card.locator("[data-health]").textContent(), "failing");
    const counts = await card.locator(".counts").textContent();
    assert.equal(counts, "0 delivered · 2 pending (2 retrying) · 0 failed · 0 skipped");
    await shot(page, "endpoint-failing");

    // The log shows the same counts, row by row.
    await card.getByRole("link", { name: "Delivery log" }).click();
    await page.locator("#deliveries tbody tr[data-delivery]").nth(1).waitFor();
    const statuses = await page.locator("#deliveries tbody tr[data-delivery] td:first-child .badge:first-child").allTextContents();
    const tally = (s) => statuses.filter((x) => x === s).length;
    assert.equal(await page.locator("#log-counts").textContent(), `${tally("delivered")} delivered · ${tally("pending")} pending (2 retrying) · ${tally("failed")} failed · ${tally("skipped")} skipped`);

    // From the log to the submission's detail view, and back to the delivery through its link.
    const row = page.locator("#deliveries tbody tr[data-delivery]").first();
    const delivery = await row.getAttribute("data-delivery");
    await row.getByRole("link", { name: /^sub_/ }).click();
    const entry = page.locator(`#submission-deliveries li[data-endpoint="${ep.id}"]`);
    await entry.waitFor();
    assert.equal(await entry.locator(".badge").textContent(), "pending");
    await entry.getByRole("link", { name: /1 attempt/ }).click();
    await page.getByRole("heading", { name: "Delivery log" }).waitFor();
    await page.locator(`tr[data-delivery="${delivery}"] + tr.delivery-detail details[data-request]`).waitFor();
    assert.equal(await page.locator(`tr[data-delivery="${delivery}"] + tr.delivery-detail`).isVisible(), true, "the linked delivery is open");

    await page.goto(`${worker.url}/dashboard/#/`);
    const item = page.locator('li[data-form="support"] .health-alert');
    await item.waitFor();
    assert.match(await item.textContent(), /failing since .+ — last error HTTP 500/);
    await shot(page, "forms-list-health");
    await page.context().close();
  });

  test("retry now and resend each produce exactly one more delivery at the receiver; attempt headers verify in the playground", async () => {
    const page = await signedIn();
    answer = 200;
    await page.goto(`${worker.url}/dashboard/#/forms/support/endpoints/${ep.id}`);
    const rows = page.locator("#deliveries tbody tr[data-delivery]");
    await rows.nth(1).waitFor();
    const first = rows.first();
    const id = await first.getAttribute("data-delivery");
    const webhookId = (await api("GET", `/forms/support/endpoints/${ep.id}/deliveries/${id}`)).json.message_id;
    const count = (wid) => r.requests.filter((q) => q.headers["webhook-id"] === wid).length;
    assert.equal(count(webhookId), 1);
    await first.getByRole("button", { name: "Retry now" }).click();
    await r.waitForCount((q) => q.headers["webhook-id"] === webhookId, 2);
    await page.locator(`#deliveries tr[data-delivery="${id}"] .badge.ok`, { hasText: "delivered" }).waitFor();
    assert.equal(count(webhookId), 2);
    assert.equal(r.requests.length, 3, "the other delivery waits for its scheduled retry");

    await page.locator(`#deliveries tr[data-delivery="${id}"]`).getByRole("button", { name: "Resend" }).click();
    await r.waitForCount((q) => q.headers["webhook-id"] === webhookId, 3);
    await eventually(async () => (await api("GET", `/forms/support/endpoints/${ep.id}/deliveries/${id}`)).json.status === "delivered");
    assert.equal(count(webhookId), 3);
    assert.equal(r.requests.length, 4);

    // The attempts, each with the exact request it sent, and a playground check.
    await page.goto(`${worker.url}/dashboard/#/forms/support/endpoints/${ep.id}/deliveries/${id}`);
    const detail = page.locator(`details[data-request]`);
    await detail.nth(2).waitFor();
    await detail.nth(2).locator("summary").click();
    const sent = await detail.nth(2).locator("pre").textContent();
    const last = r.requests.filter((q) => q.headers["webhook-id"] === webhookId).at(-1);
    assert.ok(sent.includes(`webhook-signature: ${last.headers["webhook-signature"]}`), sent);
    assert.ok(sent.includes(`x-formhook-delivery: ${last.headers["x-formhook-delivery"]}`));
    assert.ok(sent.endsWith(last.body.toString()), "the body sent");
    const link = detail.nth(2).getByRole("link", { name: "Check in playground" });
    assert.ok(!(await link.getAttribute("href")).includes(r.state.secrets[0]), "no secret in the link");
    await shot(page, "attempt-request");
    await link.click();
    await page.locator("#result").filter({ hasText: "Delivery loaded from the dashboard" }).waitFor();
    await page.getByLabel("Secret", { exact: true }).fill(r.state.secrets[0]);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator("#result").filter({ hasText: "Valid signature" }).waitFor();
    await shot(page, "playground-from-dashboard");
    // Headers pasted as JSON verify too.
    await page.getByLabel(/^Headers/).fill(JSON.stringify(Object.fromEntries(Object.entries(last.headers))));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator("#result").filter({ hasText: "Valid signature" }).waitFor();
    await page.context().close();
  });

  test("replay all failed: a count, a confirmation, exactly one more delivery each", async () => {
    let status = 500;
    const failing = await receiver({ respond: () => ({ status }) });
    await api("POST", "/forms", { id: "newsletter", rate_limit_per_minute: 0 });
    const one = await endpoint("newsletter", failing, { retry_schedule: [0] });
    await submit("newsletter", { email: "a@example.com" });
    await submit("newsletter", { email: "b@example.com" });
    await failing.waitForCount(() => true, 2);
    await eventually(async () => (await api("GET", `/forms/newsletter/endpoints/${one.id}`)).json.stats.failed === 2);
    status = 200;
    const page = await signedIn();
    let asked = "";
    page.dialogHandler = (d) => {
      asked = d.message();
      return d.accept();
    };
    await page.goto(`${worker.url}/dashboard/#/forms/newsletter/endpoints/${one.id}`);
    await page.locator("#deliveries .badge.bad", { hasText: "failed" }).nth(1).waitFor();
    await page.getByRole("button", { name: "Replay all failed (2)" }).click();
    await failing.waitForCount(() => true, 4);
    assert.match(asked, /Send all 2 failed deliveries/);
    await eventually(async () => (await api("GET", `/forms/newsletter/endpoints/${one.id}`)).json.stats.delivered === 2);
    const perId = {};
    for (const q of failing.requests) perId[q.headers["webhook-id"]] = (perId[q.headers["webhook-id"]] ?? 0) + 1;
    assert.deepEqual(Object.values(perId), [2, 2]);
    assert.equal(failing.requests.length, 4);
    assert.ok(failing.requests.every((q) => q.verified));
    // The page shows it once the replayed deliveries are done.
    await page.locator("#deliveries .badge.ok", { hasText: "delivered" }).nth(1).waitFor();
    await page.reload();
    await page.locator("#deliveries .badge.ok", { hasText: "delivered" }).nth(1).waitFor();
    assert.equal(await page.getByRole("button", { name: "Replay all failed (0)" }).isDisabled(), true);
    await page.context().close();
  });
});

describe("settings and layout", () => {
  test("every form and endpoint setting of the API's schema has a control; changes are saved; the form can be deleted", async () => {
    const { components } = await (await fetch(`${worker.url}/api/openapi.json`)).json();
    const page = await signedIn();
    await page.goto(`${worker.url}/dashboard/#/forms/contact/settings`);
    await page.getByRole("button", { name: "Save settings" }).waitFor();
    for (const name of Object.keys(components.schemas.FormFields.properties)) {
      if (["id", "captcha"].includes(name)) continue;
      assert.equal(await page.locator(`[id^="form-settings-${name}"]`).count() > 0, true, `form setting ${name}`);
    }
    await page.locator("#form-settings-max_submissions_per_minute").fill("120");
    await page.locator("#form-settings-honeypot_field").fill("website");
    await page.locator("#form-settings-keep_files").uncheck();
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.locator("#flash").filter({ hasText: "Form saved" }).waitFor();
    const form = (await api("GET", "/forms/contact")).json;
    assert.equal(form.max_submissions_per_minute, 120);
    assert.equal(form.honeypot_field, "website");
    assert.equal(form.keep_files, false);
    assert.equal(form.name, "Contact", "unchanged settings are not sent");
    await shot(page, "form-settings");

    const r = await receiver();
    const ep = await endpoint("contact", r);
    await page.goto(`${worker.url}/dashboard/#/forms/contact/endpoints/${ep.id}`);
    await page.getByRole("button", { name: "Save endpoint" }).waitFor();
    for (const name of Object.keys(components.schemas.EndpointFields.properties)) {
      if (["secret", "enabled"].includes(name)) continue;
      assert.equal(await page.locator(`[id^="edit-endpoint-${name}"]`).count() > 0, true, `endpoint setting ${name}`);
    }
    await page.getByLabel("Throttle floor (ms)").fill("2000");
    await page.getByLabel("Retry schedule").fill("0, 1000, 5000");
    await page.getByRole("button", { name: "Save endpoint" }).click();
    await page.locator("#flash").filter({ hasText: "Endpoint saved." }).waitFor();
    const saved = (await api("GET", `/forms/contact/endpoints/${ep.id}`)).json;
    assert.equal(saved.throttle_floor_ms, 2000);
    assert.deepEqual(saved.retry_schedule, [0, 1000, 5000]);

    page.dialogHandler = (d) => d.accept(d.type() === "prompt" ? "contact" : undefined);
    await page.goto(`${worker.url}/dashboard/#/forms/contact/settings`);
    await page.getByRole("button", { name: "Delete form" }).click();
    await page.getByRole("heading", { name: "Forms" }).waitFor();
    await page.locator("#flash").filter({ hasText: "Form contact deleted." }).waitFor();
    assert.equal((await api("GET", "/forms/contact")).status, 404);
    await page.context().close();
  });

  test("the settings editor renders settings it has never seen (nested groups included) and sends only what changed", async () => {
    const page = await signedIn();
    // Settings other branches add (retention, redaction, concurrency…), as the schema would carry them.
    const schemas = {
      Redaction: { type: "object", properties: { fields: { type: ["array", "null"], items: { type: "string" }, description: "Field names to redact." }, files: { type: ["boolean", "null"] } } },
      Mode: { type: "string", enum: ["fifo", "parallel"] },
      FutureFields: {
        type: "object",
        additionalProperties: false,
        properties: {
          retention_days: { type: ["integer", "null"], minimum: 0, maximum: 3650, description: "Days submissions are kept." },
          file_url_ttl_seconds: { type: ["integer", "null"], minimum: 1 },
          redaction: { anyOf: [{ $ref: "#/components/schemas/Redaction" }, { type: "null" }], description: "What deliveries leave out." },
          mode: { anyOf: [{ $ref: "#/components/schemas/Mode" }, { type: "null" }] },
          note: { type: ["string", "null"], description: "`null` clears it." },
        },
      },
    };
    const result = await page.evaluate(async (schemas) => {
      const { settingsEditor } = await import("/dashboard/settings-editor.js");
      const sent = [];
      const form = settingsEditor({
        id: "future", schemaName: "FutureFields", schemas, submitLabel: "Save future",
        values: { retention_days: 30, redaction: { fields: ["phone"], files: false }, mode: "fifo", note: "x" },
        save: async (changed) => sent.push(changed), onError: (e) => sent.push({ error: String(e) }),
      });
      document.body.append(form);
      const labels = [...form.querySelectorAll("label, legend")].map((l) => l.textContent.trim());
      form.requestSubmit();
      await new Promise((r) => setTimeout(r, 0));
      document.getElementById("future-redaction-files").checked = true;
      document.getElementById("future-redaction-fields").value = "phone\nemail";
      document.getElementById("future-note").value = "";
      form.requestSubmit();
      await new Promise((r) => setTimeout(r, 0));
      return { labels, sent };
    }, schemas);
    for (const label of ["Retention (days)", "File URL TTL (seconds)", "Redaction", "Fields", "Files", "Mode", "Note"]) {
      assert.ok(result.labels.includes(label), `${label} in ${result.labels}`);
    }
    assert.deepEqual(result.sent, [{}, { redaction: { fields: ["phone", "email"], files: true }, note: null }]);
    await page.context().close();
  });

  for (const width of [1280, 390]) {
    test(`no badge or button breaks inside a word at ${width} px`, async () => {
      const page = await signedIn({ viewport: { width, height: 900 } });
      const views = ["#/", "#/forms/support", `#/forms/jobs`];
      const { json } = await api("GET", "/forms/support/endpoints");
      views.push(`#/forms/support/endpoints/${json.data[0].id}`);
      for (const view of views) {
        await page.goto(`${worker.url}/dashboard/${view}`);
        // Hash changes are same-document navigations: wait for this view, not the last one.
        await page.locator(`#app[data-ready="${view}"]`).waitFor();
        const broken = await brokenWords(page);
        assert.deepEqual(broken, [], `${view} at ${width}px`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${view} overflows by ${overflow}px at ${width}px`);
        await shot(page, `layout-${width}${view.replace(/ep_\w+/, "log").replaceAll(/[/#]+/g, "-")}`);
      }
      await page.context().close();
    });
  }
});
