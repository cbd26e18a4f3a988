// End to end: uploaded files in R2 (on disk under the data directory, as `wrangler dev
// --persist-to` keeps them), the signed, expiring links events carry, the limits, the download
// headers, and the sweep that removes what an upload killed half-way left in R2.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "../../scripts/serve.mjs";
import { adminApi } from "./admin.mjs";
import { eventually, startReceiver } from "./receiver.mjs";

const MiB = 1024 * 1024;
let worker;
let dir;
const token = randomBytes(16).toString("hex");
const receivers = [];
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

const api = adminApi(() => worker.url, token);

/** A form with one endpoint delivering to a new receiver. */
async function setup(id, formOptions = {}, endpointOptions = {}) {
  const form = await api("POST", "/api/forms", { id, rate_limit_per_minute: 0, ...formOptions });
  assert.equal(form.status, 201, JSON.stringify(form.json));
  const r = await startReceiver();
  receivers.push(r);
  const ep = await api("POST", `/api/forms/${id}/endpoints`, { url: r.url, ...endpointOptions });
  assert.equal(ep.status, 201, JSON.stringify(ep.json));
  r.setSecrets(ep.json.secret);
  return r;
}

function upload(form, files, fields = { name: "Ada" }) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  for (const { field, name, type, bytes } of files) fd.append(field, new Blob([bytes], { type }), name);
  return fetch(`${worker.url}/f/${form}`, { method: "POST", body: fd, headers: { accept: "application/json" } });
}

/** Every regular file under `root`. */
function walk(root) {
  const out = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Files in the data directory's R2 store holding exactly `bytes`. */
function r2Copies(bytes) {
  const hash = sha256(bytes);
  return walk(join(dir, "v3", "r2")).filter((p) => statSync(p).size === bytes.length && sha256(readFileSync(p)) === hash);
}

/** Bytes the Durable Objects keep on disk (their SQLite files). */
const objectBytes = () => walk(join(dir, "v3", "do")).reduce((n, p) => n + statSync(p).size, 0);

const headersOf = (res) => ({
  disposition: res.headers.get("content-disposition"),
  nosniff: res.headers.get("x-content-type-options"),
  csp: res.headers.get("content-security-policy"),
});

/** The link with one query parameter replaced. */
function withParam(url, name, value) {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}

const refusal = async (url) => {
  const res = await fetch(url);
  return { status: res.status, code: res.status === 200 ? null : (await res.json()).error.code };
};

let big; // the 10 MiB upload: { bytes, id, url }
let acknowledged = 0; // submissions answered 201 on the "files" form

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "formhook-files-"));
  worker = await startWorker({ persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true });
});

after(async () => {
  await worker?.stop();
  for (const r of receivers) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a 10 MiB file goes to R2; the receiver downloads it through the event's link", async () => {
  const r = await setup("files");
  const form = await api("GET", "/api/forms/files");
  assert.equal(form.json.max_file_bytes, 25 * MiB);
  assert.equal(form.json.max_body_bytes, 30 * MiB);
  const bytes = randomBytes(10 * MiB);
  const res = await upload("files", [{ field: "cv", name: "C:\\docs\\data.bin", type: "application/octet-stream", bytes }]);
  assert.equal(res.status, 201);
  acknowledged += 1;
  const { id } = await res.json();

  const [got] = await r.waitFor(() => true, 60_000);
  assert.equal(got.verified, true, got.error);
  const [file] = got.json.submission.files;
  assert.equal(got.json.submission.files.length, 1);
  const { url, ...described } = file;
  assert.deepEqual(described, {
    field: "cv",
    filename: "C:\\docs\\data.bin",
    name: "data.bin",
    content_type: "application/octet-stream",
    size: bytes.length,
    sha256: sha256(bytes),
  });
  assert.match(url, new RegExp(`^${worker.url}/files/files/${id}/0\\?exp=\\d+&sig=[0-9a-f]{64}$`));
  // Seven days by default.
  const exp = Number(new URL(url).searchParams.get("exp"));
  assert.ok(Math.abs(exp - (Date.now() / 1000 + 604800)) < 3600, `exp ${exp}`);

  // The receiver's download: no token.
  const download = await fetch(url);
  assert.equal(download.status, 200);
  const downloaded = Buffer.from(await download.arrayBuffer());
  assert.equal(sha256(downloaded), file.sha256);
  assert.ok(downloaded.equals(bytes));
  assert.deepEqual(headersOf(download), { disposition: 'attachment; filename="data.bin"', nosniff: "nosniff", csp: "default-src 'none'; sandbox" });

  // On disk: one copy in the R2 store, none in the objects' storage.
  assert.equal(r2Copies(bytes).length, 1);
  assert.ok(objectBytes() < bytes.length, `Durable Object files take ${objectBytes()} bytes`);

  // The admin API's view and download (with the token) agree.
  const view = await api("GET", `/api/forms/files/submissions/${id}`);
  const [viewed] = view.json.files;
  assert.deepEqual(
    { field: viewed.field, name: viewed.name, content_type: viewed.content_type, size: viewed.size, sha256: viewed.sha256, stored: viewed.stored },
    { field: "cv", name: "data.bin", content_type: "application/octet-stream", size: bytes.length, sha256: file.sha256, stored: true },
  );
  assert.equal(viewed.download_path, `/api/forms/files/submissions/${id}/files/0`);
  assert.equal((await fetch(`${worker.url}${viewed.download_path}`)).status, 401);
  const admin = await fetch(`${worker.url}${viewed.download_path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(admin.status, 200);
  assert.equal(sha256(Buffer.from(await admin.arrayBuffer())), file.sha256);
  big = { bytes, id, url };
});

test("an altered link is refused 403: another file, another exp, another signature", async () => {
  const r = receivers[0];
  const a = Buffer.from("first file");
  const b = Buffer.from("second file");
  const res = await upload("files", [
    { field: "a", name: "a.txt", type: "text/plain", bytes: a },
    { field: "b", name: "b.txt", type: "text/plain", bytes: b },
  ]);
  assert.equal(res.status, 201);
  acknowledged += 1;
  const { id } = await res.json();
  const [got] = await r.waitFor((q) => q.json?.submission?.id === id);
  const [first, second] = got.json.submission.files;
  assert.equal((await fetch(first.url)).status, 200);
  assert.equal(Buffer.from(await (await fetch(second.url)).arrayBuffer()).toString(), "second file");

  const u = new URL(first.url);
  const sig = u.searchParams.get("sig");
  const exp = u.searchParams.get("exp");
  const flipped = (sig[0] === "0" ? "1" : "0") + sig.slice(1);
  const otherFile = `${worker.url}/files/files/${id}/1?exp=${exp}&sig=${sig}`;
  const otherSubmission = `${worker.url}/files/files/${big.id}/0?exp=${exp}&sig=${sig}`;
  assert.deepEqual(await refusal(withParam(first.url, "sig", flipped)), { status: 403, code: "link_invalid" });
  assert.deepEqual(await refusal(withParam(first.url, "exp", String(Number(exp) + 1))), { status: 403, code: "link_invalid" });
  assert.deepEqual(await refusal(withParam(first.url, "exp", "1")), { status: 403, code: "link_invalid" });
  assert.deepEqual(await refusal(otherFile), { status: 403, code: "link_invalid" });
  assert.deepEqual(await refusal(otherSubmission), { status: 403, code: "link_invalid" });
  assert.deepEqual(await refusal(`${worker.url}/files/files/${id}/0?exp=${exp}`), { status: 403, code: "link_malformed" });
  assert.deepEqual(await refusal(`${worker.url}/files/files/${id}/0`), { status: 403, code: "link_malformed" });
  // The genuine links still work.
  assert.equal((await fetch(first.url)).status, 200);
});

test("a link expires after the endpoint's file_url_ttl: 403 link_expired", async () => {
  const r = await setup("expiring", {}, { file_url_ttl: 1 });
  const res = await upload("expiring", [{ field: "f", name: "note.txt", type: "text/plain", bytes: Buffer.from("soon gone") }]);
  assert.equal(res.status, 201);
  const [got] = await r.waitFor(() => true);
  const { url } = got.json.submission.files[0];
  const exp = Number(new URL(url).searchParams.get("exp"));
  assert.ok(exp <= Math.ceil(Date.now() / 1000) + 1, `exp ${exp} is a second after delivery at most`);
  // Expired, not invalid: the signature still checks, only the time is up.
  await eventually(async () => (await refusal(url)).code === "link_expired", 20_000, "link_expired");
  assert.deepEqual(await refusal(url), { status: 403, code: "link_expired" });
  // The admin API still downloads it with the token.
  const view = await api("GET", `/api/forms/expiring/submissions/${got.json.submission.id}`);
  const admin = await fetch(`${worker.url}${view.json.files[0].download_path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(await admin.text(), "soon gone");
  assert.equal((await api("PATCH", "/api/forms/expiring/endpoints/" + (await api("GET", "/api/forms/expiring")).json.endpoint_ids[0], { file_url_ttl: 0 })).status, 422);
});

test("limits: a 26 MiB file is 413 file_too_large, a body past max_body_bytes 413 body_too_large; nothing stored", async () => {
  const before = (await api("GET", "/api/forms/files/submissions?limit=200")).json.data.length;
  const bytes = randomBytes(26 * MiB);
  const res = await upload("files", [{ field: "huge", name: "huge.bin", type: "application/octet-stream", bytes }]);
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error.code, "file_too_large");
  assert.equal(r2Copies(bytes).length, 0);
  assert.equal((await api("GET", "/api/forms/files/submissions?limit=200")).json.data.length, before);

  assert.equal((await api("POST", "/api/forms", { id: "small", rate_limit_per_minute: 0, max_body_bytes: MiB, max_file_bytes: 256 * 1024 })).status, 201);
  const fileTooLarge = randomBytes(300 * 1024);
  const r1 = await upload("small", [{ field: "f", name: "f.bin", type: "application/octet-stream", bytes: fileTooLarge }]);
  assert.deepEqual([r1.status, (await r1.json()).error.code], [413, "file_too_large"]);
  const bodyTooLarge = randomBytes(2 * MiB);
  const r2 = await upload("small", [{ field: "f", name: "f.bin", type: "application/octet-stream", bytes: bodyTooLarge }]);
  assert.deepEqual([r2.status, (await r2.json()).error.code], [413, "body_too_large"]);
  assert.equal(r2Copies(fileTooLarge).length + r2Copies(bodyTooLarge).length, 0);
  assert.equal((await api("GET", "/api/forms/small/submissions")).json.data.length, 0);
  // Bounds of the settings.
  assert.equal((await api("PATCH", "/api/forms/small", { max_body_bytes: 100_000_001 })).status, 422);
  assert.equal((await api("PATCH", "/api/forms/small", { max_file_bytes: 0 })).status, 422);
});

test("an uploaded .html or .svg is an attachment with nosniff and a sandboxing CSP, never a page", async () => {
  const r = receivers[0];
  const html = Buffer.from("<script>alert(localStorage.getItem('formhook-token'))</script>");
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  const res = await upload("files", [
    { field: "page", name: "evil.html", type: "text/html", bytes: html },
    { field: "pic", name: "evil.svg", type: "image/svg+xml", bytes: svg },
  ]);
  assert.equal(res.status, 201);
  acknowledged += 1;
  const { id } = await res.json();
  const [got] = await r.waitFor((q) => q.json?.submission?.id === id);
  for (const [i, file] of got.json.submission.files.entries()) {
    for (const [how, fetched] of [
      ["link", await fetch(file.url)],
      ["admin", await fetch(`${worker.url}/api/forms/files/submissions/${id}/files/${i}`, { headers: { authorization: `Bearer ${token}` } })],
    ]) {
      assert.equal(fetched.status, 200, how);
      assert.deepEqual(headersOf(fetched), { disposition: `attachment; filename="${file.name}"`, nosniff: "nosniff", csp: "default-src 'none'; sandbox" }, how);
      assert.equal(fetched.headers.get("content-type"), "application/octet-stream", how);
      assert.equal(sha256(Buffer.from(await fetched.arrayBuffer())), file.sha256, how);
    }
  }
});

test("keep_files false: metadata only, no bytes in R2, no link", async () => {
  const r = await setup("nokeep", { keep_files: false });
  const bytes = randomBytes(4096);
  const res = await upload("nokeep", [{ field: "f", name: "kept-not.bin", type: "application/octet-stream", bytes }]);
  assert.equal(res.status, 201);
  const { id } = await res.json();
  const [got] = await r.waitFor(() => true);
  const [file] = got.json.submission.files;
  assert.equal(file.sha256, sha256(bytes));
  assert.equal(file.url, null);
  assert.equal(r2Copies(bytes).length, 0);
  const view = await api("GET", `/api/forms/nokeep/submissions/${id}`);
  assert.equal(view.json.files[0].stored, false);
  assert.equal(view.json.files[0].download_path, null);
  const admin = await fetch(`${worker.url}/api/forms/nokeep/submissions/${id}/files/0`, { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual([admin.status, (await admin.json()).error.code], [404, "file_not_found"]);
});

test("erasure and retention remove a submission's files from R2; their links then answer 404", async () => {
  const r = await setup("erase-files");
  const keep = randomBytes(64 * 1024);
  const gone = randomBytes(64 * 1024);
  const kept = await (await upload("erase-files", [{ field: "f", name: "keep.bin", type: "application/octet-stream", bytes: keep }], { name: "keep" })).json();
  const erased = await (await upload("erase-files", [{ field: "f", name: "gone.bin", type: "application/octet-stream", bytes: gone }], { name: "gone" })).json();
  const got = await r.waitForCount(() => true, 2);
  const linkOf = (id) => got.find((q) => q.json.submission.id === id).json.submission.files[0].url;
  assert.equal(r2Copies(gone).length, 1);
  assert.equal((await api("DELETE", `/api/forms/erase-files/submissions/${erased.id}`)).status, 204);
  // Gone from R2 on disk, and its link no longer downloads; the other submission's file stays.
  assert.equal(r2Copies(gone).length, 0);
  assert.deepEqual(await refusal(linkOf(erased.id)), { status: 404, code: "file_not_found" });
  assert.equal(r2Copies(keep).length, 1);
  const still = await fetch(linkOf(kept.id));
  assert.equal(sha256(Buffer.from(await still.arrayBuffer())), sha256(keep));

  // Erasing the form removes every file it holds.
  assert.equal((await api("DELETE", "/api/forms/erase-files")).status, 204);
  assert.equal(r2Copies(keep).length, 0);
  assert.deepEqual(await refusal(linkOf(kept.id)), { status: 404, code: "file_not_found" });
});

test("kill -9 between the R2 writes and the commit: nothing acknowledged is lost, the sweep removes the orphan", async () => {
  await worker.stop();
  // This run holds every upload after its R2 writes, so the kill lands exactly there.
  worker = await startWorker({ persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true, vars: { FILE_COMMIT_PAUSE_MS: "600000" } });
  const orphan = randomBytes(MiB);
  const pending = upload("files", [{ field: "cv", name: "orphan.bin", type: "application/octet-stream", bytes: orphan }]).then(
    (res) => ({ status: res.status }),
    (err) => ({ error: String(err) }),
  );
  // The hook writes this marker once every file write of the upload has resolved.
  await eventually(() => r2Copies(Buffer.from("formhook test hook: upload held")).length === 1, 60_000, "the upload held after its R2 writes");
  assert.equal(r2Copies(orphan).length, 1);
  await worker.kill9();
  const answer = await pending;
  assert.equal(answer.status, undefined, `the killed upload was answered ${JSON.stringify(answer)}`);

  // Restart with a short orphan age: recovery re-arms the form's alarm, whose sweep deletes it.
  worker = await startWorker({ persistDir: dir, adminToken: token, ssrfAllowlist: "127.0.0.1", quiet: true, vars: { FILE_ORPHAN_AGE_SECONDS: "1" } });
  await eventually(() => r2Copies(orphan).length === 0, 60_000, "the sweep to delete the orphan");
  const list = (await api("GET", "/api/forms/files/submissions?limit=200")).json.data;
  assert.equal(list.length, acknowledged);
  assert.ok(list.every((s) => s.files.every((f) => f.sha256 !== sha256(orphan))));
  // The acknowledged 10 MiB file is intact, through the link made before the restarts (on this
  // run's port: the signature covers the path and expiry, not the origin).
  assert.equal(r2Copies(big.bytes).length, 1);
  const link = new URL(big.url);
  const download = await fetch(`${worker.url}${link.pathname}${link.search}`);
  assert.equal(download.status, 200);
  assert.equal(sha256(Buffer.from(await download.arrayBuffer())), sha256(big.bytes));
  // And uploads work again.
  const after = await upload("files", [{ field: "cv", name: "again.txt", type: "text/plain", bytes: Buffer.from("again") }]);
  assert.equal(after.status, 201);
});
