// Records what a real browser sends: serves ordinary HTML forms on 127.0.0.1 (pages in UTF-8,
// windows-1252 and Shift_JIS; urlencoded and multipart; unusual names, files and empty file
// inputs), has Debian's Chromium (playwright-core, never a downloaded browser) fill and submit
// each one, and saves the raw request bytes and content type.
//
//   node tests/vectors/capture/capture.mjs
//
// Also appends the hand-written SYNTHETIC cases. Writes tests/vectors/forms.json (read by tests/form_vectors.rs) and one seed per capture in
// fuzz/corpus/{form_multipart,form_urlencoded,form_any}/. Each case's expected fields and files
// are what the script typed into the form (file sizes and SHA-256 computed here from the bytes
// it attached), never what a parser made of the capture.
import http from "node:http";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CASES, SYNTHETIC } from "./cases.mjs";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** ASCII-only HTML: every other character as a character reference, so the page's bytes are
 * the same in every charset and the browser encodes names itself. */
const attr = (s) => [...s].map((c) => (/[A-Za-z0-9 _.\-[\]]/.test(c) ? c : `&#${c.codePointAt(0)};`)).join("");

function page(kase) {
  const enctype = kase.enctype ?? "multipart/form-data";
  const accept = kase.acceptCharset ? ` accept-charset="${attr(kase.acceptCharset)}"` : "";
  const inputs = kase.inputs
    .map((input, i) => {
      const name = attr(input.name);
      if (input.type === "file") return `<input type="file" id="i${i}" name="${name}"${input.multiple ? " multiple" : ""}>`;
      if (input.type === "hidden") return `<input type="hidden" id="i${i}" name="${name}"${input.value === undefined ? "" : ` value="${attr(input.value)}"`}>`;
      if (input.type === "textarea") return `<textarea id="i${i}" name="${name}"></textarea>`;
      return `<input type="text" id="i${i}" name="${name}">`;
    })
    .join("\n");
  return `<!doctype html>
<html><head><meta charset="${kase.pageCharset}"><title>${kase.id}</title></head>
<body><form method="post" action="/submit/${kase.id}" enctype="${enctype}"${accept}>
${inputs}
<button id="send" type="submit">Send</button>
</form></body></html>`;
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

async function main() {
  const byId = new Map(CASES.map((c) => [c.id, c]));
  const waiting = new Map();
  const server = http.createServer((req, res) => {
    const [, kind, id] = req.url.split("/");
    const kase = byId.get(id);
    if (!kase) return res.writeHead(404).end();
    if (req.method === "GET" && kind === "page") {
      res.writeHead(200, { "content-type": `text/html; charset=${kase.pageCharset}` });
      return res.end(page(kase));
    }
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      waiting.get(id)?.({ contentType: req.headers["content-type"], body: Buffer.concat(chunks) });
      res.writeHead(200, { "content-type": "text/plain" }).end("saved");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const version = browser.version();
  const out = [];
  try {
    for (const kase of CASES) {
      const tab = await browser.newPage();
      await tab.goto(`${base}/page/${kase.id}`);
      for (const [i, input] of kase.inputs.entries()) {
        const el = tab.locator(`#i${i}`);
        if (input.type === "file") {
          if (input.files?.length) await el.setInputFiles(input.files.map((f) => ({ name: f.name, mimeType: f.type, buffer: Buffer.from(f.bytes) })));
        } else if (input.type !== "hidden") {
          await el.fill(input.value);
        }
      }
      const captured = new Promise((resolve) => waiting.set(kase.id, resolve));
      await tab.click("#send");
      const { contentType, body } = await captured;
      await tab.close();
      const files = kase.inputs.flatMap((input) =>
        (input.files ?? []).map((f) => ({
          field: input.name,
          filename: f.expectName ?? f.name,
          content_type: f.type,
          size: Buffer.from(f.bytes).length,
          sha256: sha256(Buffer.from(f.bytes)),
        })),
      );
      out.push({
        tcId: out.length + 1,
        source: "chromium",
        id: kase.id,
        comment: kase.comment,
        page_charset: kase.pageCharset,
        content_type: contentType,
        body_base64: body.toString("base64"),
        result: "valid",
        form_charset: kase.formCharset ?? null,
        charset: kase.charset,
        fields: kase.expect,
        files,
      });
      const corpus = (target, bytes) => {
        const dir = join(ROOT, "fuzz", "corpus", target);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `chromium_${kase.id}`), bytes);
      };
      corpus("form_any", Buffer.concat([Buffer.from(`${contentType}\n`), body]));
      if (contentType.startsWith("multipart/form-data")) {
        const boundary = contentType.split("boundary=")[1];
        corpus("form_multipart", Buffer.concat([Buffer.from(`${boundary}\n`), body]));
      } else {
        corpus("form_urlencoded", body);
      }
      console.log(`${kase.id}: ${body.length} bytes, ${contentType}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
  for (const kase of SYNTHETIC) {
    const { body, ...rest } = kase;
    out.push({ tcId: out.length + 1, source: "synthetic", ...rest, body_base64: Buffer.from(body, "latin1").toString("base64") });
  }
  const vectors = {
    comment:
      "Raw form submissions captured from Chromium by tests/vectors/capture/capture.mjs (source: chromium; fields and files are what the script put into each form), then hand-written bodies other clients send or that must be refused (source: synthetic). Read by tests/form_vectors.rs.",
    browser: `Chromium ${version} (Debian), headless, driven by playwright-core`,
    cases: out,
  };
  writeFileSync(join(ROOT, "tests", "vectors", "forms.json"), `${JSON.stringify(vectors, null, 2)}\n`);
  console.log(`wrote tests/vectors/forms.json: ${CASES.length} captures from Chromium ${version}, ${SYNTHETIC.length} hand-written cases`);
}

await main();
