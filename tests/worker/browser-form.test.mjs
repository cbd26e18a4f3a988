// End to end from a real browser: Chromium (Debian's, driven by playwright-core) fills an
// ordinary HTML form, served from another origin on 127.0.0.1, with unusual names (a trailing
// backslash, two backslashes, a quote, a line break), text with line breaks and emoji, repeated
// names, files whose names hold a quote, a backslash and a line break, an empty file input and
// a multiple file input, and submits it to the running worker. The receiver must get exactly
// what the form held: every field, every file's metadata, and the stored bytes.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { startReceiver } from "./receiver.mjs";

let worker;
let receiver;
let site;
let browser;
let dir;
const token = randomBytes(16).toString("hex");

const api = adminApi(() => worker.url, token);

/** ASCII-only HTML: any other character of a name as a character reference. */
const attr = (s) => [...s].map((c) => (/[A-Za-z0-9 _.\-[\]]/.test(c) ? c : `&#${c.codePointAt(0)};`)).join("");

const TEXT = [
  ["ends\\", "a name ending in a backslash"],
  ["two\\\\back", "two backslashes"],
  ['quote"x', 'say "hi" \\o/'],
  ["line\nbreak", "a name with a line break"],
  ["message", "first line\nsecond line\n\ttabbed 🎉"],
  ["unicode", "naïve ☃ 日本語"],
  ["tags[]", "a"],
  ["tags[]", "b"],
  ["empty", ""],
];
const FILES = [
  ["doc", [{ name: 'quote".txt', mimeType: "text/plain", buffer: Buffer.from("hello\n") }]],
  ["back\\", [{ name: "ends\\", mimeType: "application/octet-stream", buffer: randomBytes(1000) }]],
  ["nl", [{ name: "new\nline.txt", mimeType: "text/plain", buffer: Buffer.from("x") }]],
  ["nothing", []],
  ["many", [
    { name: "a.bin", mimeType: "application/octet-stream", buffer: randomBytes(2000) },
    { name: "日本.txt", mimeType: "text/plain", buffer: Buffer.from("日本") },
  ]],
];

function formPage(action) {
  const text = TEXT.map(([name], i) =>
    name === "message" ? `<textarea id="t${i}" name="${attr(name)}"></textarea>` : `<input id="t${i}" name="${attr(name)}">`);
  const files = FILES.map(([name, list], i) => `<input type="file" id="f${i}" name="${attr(name)}"${list.length > 1 ? " multiple" : ""}>`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>Contact</title></head><body>
<form method="post" action="${action}" enctype="multipart/form-data">
<input type="hidden" name="_charset_">
${[...text, ...files].join("\n")}
<button id="send">Send</button>
</form></body></html>`;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-browser-form-"));
  worker = await startWorker({ port: 0, persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
  receiver = await startReceiver();
  site = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(req.url === "/thanks" ? "thanks" : formPage(`${worker.url}/f/browser`));
  });
  await new Promise((r) => site.listen(0, "127.0.0.1", r));
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await worker?.stop();
  await receiver?.close();
  site?.closeAllConnections?.();
  await new Promise((r) => (site ? site.close(r) : r()));
  rmSync(dir, { recursive: true, force: true });
});

test("Chromium submits an HTML form with unusual names and files; the receiver gets exactly what it held", async () => {
  const siteUrl = `http://127.0.0.1:${site.address().port}`;
  const form = await api("POST", "/api/forms", { id: "browser", rate_limit_per_minute: 0, redirect_url: `${siteUrl}/thanks` });
  assert.equal(form.status, 201, JSON.stringify(form.json));
  const ep = await api("POST", "/api/forms/browser/endpoints", { url: receiver.url });
  assert.equal(ep.status, 201, JSON.stringify(ep.json));
  receiver.setSecrets(ep.json.secret);

  const page = await browser.newPage();
  await page.goto(`${siteUrl}/`);
  for (const [i, [, value]] of TEXT.entries()) await page.locator(`#t${i}`).fill(value);
  for (const [i, [, list]] of FILES.entries()) if (list.length) await page.locator(`#f${i}`).setInputFiles(list);
  await Promise.all([page.waitForURL(`${siteUrl}/thanks`), page.click("#send")]);
  await page.close();

  const [got] = await receiver.waitFor(() => true);
  assert.equal(got.verified, true, got.error);
  // What the form held, as the HTML standard submits it: line breaks in values and names as CRLF.
  const crlf = (s) => s.replace(/\r?\n/g, "\r\n");
  const data = { _charset_: "UTF-8" };
  for (const [name, value] of TEXT) {
    const key = crlf(name);
    data[key] = key in data ? [].concat(data[key], crlf(value)) : crlf(value);
  }
  assert.deepEqual(got.json.submission.data, data);
  // Every chosen file, in order; the empty file input is not a file. Filenames keep their LF.
  const chosen = FILES.flatMap(([field, list]) => list.map((f) => ({ field, ...f })));
  assert.deepEqual(
    got.json.submission.files.map(({ url, ...described }) => described),
    chosen.map((f) => ({ field: f.field, filename: f.name, name: f.name.split(/[\\/]/).pop(), content_type: f.mimeType, size: f.buffer.length, sha256: createHash("sha256").update(f.buffer).digest("hex") })),
  );
  const submissions = await api("GET", "/api/forms/browser/submissions");
  const id = submissions.json.data[0].id;
  for (const [i, f] of chosen.entries()) {
    const res = await fetch(`${worker.url}/api/forms/browser/submissions/${id}/files/${i}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), f.buffer, `file ${i} (${f.name})`);
  }
});
