// The dashboard: forms, endpoints, submissions and delivery logs over the admin API.
// Views are addressed by the URL hash: #/ (forms), #/forms/{id}, #/forms/{id}/settings,
// #/forms/{id}/submissions/{sub}, #/forms/{id}/endpoints/{ep}[/deliveries/{dlv}].
import { api, ApiError, download, h, sparkline, token, when } from "../lib/api.js";
import { onboardingPanel } from "./onboarding.js";
import { settingsEditor } from "./settings-editor.js";

const $ = (id) => document.getElementById(id);
const app = $("app");

function flash(message, kind = "ok") {
  const box = $("flash");
  box.className = message ? `status result ${kind}` : "status";
  box.textContent = message;
}

/** A message for the view the next hash change opens (the change clears the current one). */
let carried = null;
function flashAfterNavigation(message, kind = "ok") {
  carried = { message, kind };
}

function fail(e) {
  if (e instanceof ApiError && e.status === 401) {
    token.clear();
    showSignIn("Your token was refused (401): sign in again.");
    return;
  }
  flash(e instanceof ApiError ? `${e.message} (${e.code}, HTTP ${e.status})` : String(e.message ?? e), "bad");
}

function showSignIn(message) {
  $("signin").hidden = false;
  app.hidden = true;
  $("sign-out").hidden = true;
  if (message) flash(message, "bad");
  $("token-input").focus();
}

function revealSecret(secret) {
  $("secret-value").value = secret;
  $("secret-dialog").showModal();
  $("secret-value").select();
}

/** Why a typed token cannot be the admin token, or null. A header value must be Latin-1, and the
 * launcher prints the token cut short with an ellipsis. */
function tokenProblem(text) {
  if (/…|\.\.\.$/.test(text) || /[^\x20-\x7e]/.test(text)) {
    return "That looks like the masked token the launcher prints (the first 4 characters and …). "
      + "The full token is in the data directory (default .wrangler/state): the file admin-token, "
      + "also ADMIN_TOKEN in formhook-worker.env. Paste all of it.";
  }
  return null;
}

$("secret-copy").addEventListener("click", () => navigator.clipboard?.writeText($("secret-value").value));
$("secret-close").addEventListener("click", () => {
  $("secret-value").value = "";
  $("secret-dialog").close();
});
$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const typed = $("token-input").value.trim();
  const problem = tokenProblem(typed);
  if (problem) {
    flash(problem, "bad");
    return;
  }
  token.set(typed);
  $("token-input").value = "";
  try {
    await api("GET", "/forms");
    flash("");
    $("signin").hidden = true;
    route();
  } catch (err) {
    fail(err);
  }
});
$("sign-out").addEventListener("click", () => {
  token.clear();
  showSignIn();
});

/** A button that runs `fn` and reports its error. */
const act = (label, fn, cls = "secondary", attrs = {}) => h("button", { type: "button", class: cls, ...attrs, onclick: async () => {
  try {
    await fn();
  } catch (err) {
    fail(err);
  }
} }, label);

// ---- health -------------------------------------------------------------------------------

/** "1 delivered · 2 pending (2 retrying) · 0 failed · 0 skipped": the counts the log shows. */
function countsText(stats) {
  const retrying = stats.retrying ? ` (${stats.retrying} retrying)` : "";
  return `${stats.delivered} delivered · ${stats.pending} pending${retrying} · ${stats.failed} failed · ${stats.skipped} skipped`;
}

function lastErrorText(f) {
  if (!f) return "no error logged";
  const status = f.status ? `HTTP ${f.status}` : f.outcome.replaceAll("_", " ");
  return f.error ? `${status}: ${f.error}` : status;
}

/** The endpoint's state in one word, for a badge. */
function healthOf(ep) {
  if (!ep.enabled) return { word: "disabled", kind: "bad" };
  if (ep.failing_since) return { word: "failing", kind: "bad" };
  if (ep.stats.retrying) return { word: "retrying", kind: "warn" };
  return { word: "healthy", kind: "ok" };
}

/** "Failing since … — last error …", with a link to the failed delivery; null when healthy. */
function healthAlert(formId, ep) {
  if (!ep.failing_since && ep.enabled) return null;
  const f = ep.last_failure;
  return h("p", { class: "health-alert result bad" },
    ep.enabled ? `Failing since ${when(ep.failing_since)}` : `Disabled: ${ep.disabled_reason ?? "by hand"}`,
    f ? [" — last error ", h("code", {}, lastErrorText(f)), ` at ${when(f.at)} · `, h("a", { href: `#/forms/${formId}/endpoints/${ep.id}/deliveries/${f.delivery_id}` }, "open that delivery")] : null);
}

// ---- views ------------------------------------------------------------------------------

async function formsView() {
  const { data: forms } = await api("GET", "/forms");
  const health = await Promise.all(forms.map((f) => (f.endpoint_ids.length ? api("GET", `/forms/${f.id}/endpoints`).then((r) => r.data).catch(() => null) : Promise.resolve([]))));
  const list = forms.length
    ? h("ul", { class: "forms" }, forms.map((f, i) => {
      const eps = health[i];
      let summary;
      if (eps === null) summary = h("span", { class: "muted" }, "endpoint health unavailable");
      else if (eps.length === 0) summary = h("span", { class: "muted" }, "no endpoints");
      else {
        const bad = eps.filter((ep) => healthOf(ep).kind === "bad");
        summary = bad.length
          ? bad.map((ep) => h("div", { class: "health-alert" }, h("span", { class: "badge bad" }, healthOf(ep).word), " ", h("a", { href: `#/forms/${f.id}/endpoints/${ep.id}` }, ep.url), " ",
            ep.enabled ? `failing since ${when(ep.failing_since)} — last error ${lastErrorText(ep.last_failure)}` : `disabled: ${ep.disabled_reason ?? "by hand"}`))
          : h("span", { class: "badge ok" }, eps.length === 1 ? "endpoint healthy" : `${eps.length} endpoints healthy`);
      }
      return h("li", { "data-form": f.id }, h("a", { href: `#/forms/${f.id}` }, f.name), " ", h("span", { class: "muted" }, `(${f.id}) · ${f.endpoint_ids.length} endpoint(s)`), " ", summary);
    }))
    : h("p", { class: "empty" }, "No forms yet — create one below.");
  const create = h("form", { class: "panel", id: "new-form", onsubmit: async (e) => {
    e.preventDefault();
    const fd = new FormData(e.target);
    const body = { name: fd.get("name") || undefined };
    if (fd.get("id")) body.id = fd.get("id");
    if (fd.get("redirect_url")) body.redirect_url = fd.get("redirect_url");
    try {
      const form = await api("POST", "/forms", body);
      sessionStorage.setItem("formhook.newForm", form.id);
      flashAfterNavigation(`Form ${form.id} created. Point your HTML form at ${location.origin}/f/${form.id} — the snippet below is ready to paste.`);
      location.hash = `#/forms/${form.id}`;
    } catch (err) {
      fail(err);
    }
  } },
    h("h2", {}, "New form"),
    // `\-`: under the `v` flag browsers compile `pattern` with, a bare `-` at the end of a class is a syntax error.
    h("label", { for: "nf-id" }, "Id (optional: a-z, 0-9, _ and -)"), h("input", { type: "text", id: "nf-id", name: "id", pattern: "[a-z0-9][a-z0-9_\\-]{0,63}", title: "a-z, 0-9, _ and -, starting with a letter or digit; at most 64" }),
    h("label", { for: "nf-name" }, "Name"), h("input", { type: "text", id: "nf-name", name: "name" }),
    h("label", { for: "nf-redirect" }, "Redirect after submit (optional)"), h("input", { type: "text", id: "nf-redirect", name: "redirect_url", placeholder: "https://example.com/thanks" }),
    h("button", { type: "submit" }, "Create form"));
  app.replaceChildren(h("h1", {}, "Forms"), list, create);
}

// Event types, schemes and payload shapes come from the worker's OpenAPI document, which is
// generated from the core's own lists: the dashboard keeps no copy of its own. The settings
// editors are built from its schemas too.
let EVENTS = [];
let SCHEMES = [];
let SHAPES = [];
let SIGNINGS = [];
let PROVIDERS = [];
let ON_ERROR = [];
let SCHEMAS = {};

async function loadVocabulary() {
  if (SCHEMES.length) return;
  const res = await fetch("/api/openapi.json");
  if (!res.ok) throw new Error(`the API description did not load (${res.status})`);
  const { schemas } = (await res.json()).components;
  SCHEMAS = schemas;
  SCHEMES = schemas.EndpointView.properties.scheme.enum;
  SHAPES = schemas.EndpointView.properties.payload_shape.enum;
  SIGNINGS = schemas.EndpointView.properties.signing.enum;
  EVENTS = schemas.EventSelector.enum.filter((e) => e !== "*");
  PROVIDERS = schemas.CaptchaView.properties.provider.enum;
  ON_ERROR = schemas.CaptchaView.properties.on_error.enum;
}

const PROVIDER_LABELS = { turnstile: "Cloudflare Turnstile", hcaptcha: "hCaptcha", recaptcha: "Google reCAPTCHA" };
/** Events a new endpoint takes only when asked for (as the API's own default). */
const OPT_IN_EVENTS = new Set(["form.submission.deleted"]);
const SPAM_REASONS = { honeypot: "honeypot filled in", captcha_failed: "captcha failed", captcha_unavailable: "captcha could not be checked" };

/** The form's spam protection: captcha provider and keys (the secret is write-only), spam delivery. */
function captchaPanel(form) {
  const c = form.captcha;
  const provider = h("select", { id: "cp-provider", name: "provider" }, h("option", { value: "" }, "none"), PROVIDERS.map((p) => h("option", { value: p, selected: c?.provider === p }, PROVIDER_LABELS[p] ?? p)));
  return h("form", { class: "panel", id: "captcha-settings", onsubmit: async (e) => {
    e.preventDefault();
    const fd = new FormData(e.target);
    const chosen = fd.get("provider");
    const body = { deliver_spam: fd.get("deliver_spam") === "on" };
    if (!chosen) body.captcha = null;
    else {
      body.captcha = {
        provider: chosen,
        site_key: String(fd.get("site_key")).trim(),
        expected_hostnames: String(fd.get("expected_hostnames")).split(/[\s,]+/).filter(Boolean),
        expected_action: String(fd.get("expected_action")).trim() || null,
        min_score: chosen === "recaptcha" && String(fd.get("min_score")).trim() !== "" ? Number(fd.get("min_score")) : null,
        on_error: fd.get("on_error"),
      };
      const secret = String(fd.get("secret")).trim();
      if (secret) body.captcha.secret = secret;
    }
    try {
      await api("PATCH", `/forms/${form.id}`, body);
      e.target.querySelector("#cp-secret").value = "";
      flash(chosen ? "Spam protection saved." : "Captcha removed.");
      route();
    } catch (err) {
      fail(err);
    }
  } },
    h("h3", {}, "Spam protection"),
    h("p", { class: "muted" }, "With a captcha, every post must carry the widget's token; it is verified with the provider before anything is stored."),
    h("div", { class: "grid" },
      h("div", {}, h("label", { for: "cp-provider" }, "Captcha provider"), provider),
      h("div", {}, h("label", { for: "cp-site-key" }, "Site key"), h("input", { type: "text", id: "cp-site-key", name: "site_key", value: c?.site_key ?? "", autocomplete: "off" })),
      h("div", {}, h("label", { for: "cp-secret" }, "Secret key"), h("input", { type: "password", id: "cp-secret", name: "secret", autocomplete: "off", placeholder: c?.secret_set ? "•••••••• set (leave empty to keep)" : "required" }))),
    c?.secret_set ? h("p", { class: "muted", id: "cp-secret-state" }, "A secret key is stored; it is never shown again.") : null,
    h("div", { class: "grid" },
      h("div", {}, h("label", { for: "cp-hosts" }, "Expected hostnames (empty = any)"), h("input", { type: "text", id: "cp-hosts", name: "expected_hostnames", value: (c?.expected_hostnames ?? []).join(" "), placeholder: "forms.example.com *.example.org" })),
      h("div", {}, h("label", { for: "cp-action" }, "Expected action (optional)"), h("input", { type: "text", id: "cp-action", name: "expected_action", value: c?.expected_action ?? "" })),
      h("div", {}, h("label", { for: "cp-score" }, "Minimum score (reCAPTCHA v3 only)"), h("input", { type: "number", id: "cp-score", name: "min_score", min: "0", max: "1", step: "0.1", value: c?.min_score ?? "" })),
      h("div", {}, h("label", { for: "cp-on-error" }, "When the provider cannot be reached"), h("select", { id: "cp-on-error", name: "on_error" }, ON_ERROR.map((o) => h("option", { value: o, selected: (c?.on_error ?? "reject") === o }, o === "reject" ? "refuse the post (503)" : "store it as spam"))))),
    h("label", { class: "inline", for: "cp-deliver-spam" }, h("input", { type: "checkbox", id: "cp-deliver-spam", name: "deliver_spam", checked: form.deliver_spam }), "Deliver spam to endpoints too"),
    h("button", { type: "submit" }, "Save spam protection"));
}

function endpointForm(formId, onDone) {
  const form = h("form", { class: "panel", id: "new-endpoint", onsubmit: async (e) => {
    e.preventDefault();
    const fd = new FormData(e.target);
    const body = {
      url: fd.get("url"),
      events: EVENTS.filter((ev) => fd.getAll("events").includes(ev)),
      payload_shape: fd.get("payload_shape"),
      scheme: fd.get("scheme"),
      signing: fd.get("signing"),
      timeout_ms: Number(fd.get("timeout_ms")),
    };
    const schedule = fd.get("retry_schedule");
    body.retry_schedule = schedule === "custom" ? String(fd.get("custom_schedule")).split(",").map((x) => Number(x.trim())) : schedule;
    const headers = {};
    for (const line of String(fd.get("headers")).split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    if (Object.keys(headers).length) body.headers = headers;
    if (fd.get("description")) body.description = fd.get("description");
    try {
      const ep = await api("POST", `/forms/${formId}/endpoints`, body);
      if (ep.secret) revealSecret(ep.secret);
      flash(ep.public_key ? `Endpoint ${ep.id} added. Receivers verify v1a with the public key ${ep.public_key} (also at /keys/${ep.id}).` : `Endpoint ${ep.id} added.`);
      onDone();
    } catch (err) {
      fail(err);
    }
  } },
    h("h3", {}, "Add an endpoint"),
    h("label", { for: "ne-url" }, "URL"), h("input", { type: "url", id: "ne-url", name: "url", required: true, placeholder: "https://example.com/hooks/forms" }),
    h("label", { for: "ne-desc" }, "Description"), h("input", { type: "text", id: "ne-desc", name: "description" }),
    h("fieldset", {}, h("legend", {}, "Events"), EVENTS.map((ev, i) => h("label", { class: "inline", for: `ne-ev-${i}` }, h("input", { type: "checkbox", id: `ne-ev-${i}`, name: "events", value: ev, checked: !OPT_IN_EVENTS.has(ev) }), ev))),
    h("div", { class: "grid" },
      h("div", {}, h("label", { for: "ne-shape" }, "Payload shape"), h("select", { id: "ne-shape", name: "payload_shape" }, SHAPES.map((s) => h("option", { value: s }, s)))),
      h("div", {}, h("label", { for: "ne-scheme" }, "Signature scheme"), h("select", { id: "ne-scheme", name: "scheme" }, SCHEMES.map((s) => h("option", { value: s }, s)))),
      h("div", {}, h("label", { for: "ne-signing" }, "Signing keys (ed25519 = v1a, standard-webhooks only)"), h("select", { id: "ne-signing", name: "signing" }, SIGNINGS.map((s) => h("option", { value: s }, s)))),
      h("div", {}, h("label", { for: "ne-retry" }, "Retry schedule"), h("select", { id: "ne-retry", name: "retry_schedule" },
        h("option", { value: "standard" }, "standard (0, 5 s, 5 min … 10 h)"), h("option", { value: "splitforms" }, "splitforms (30 s … 24 h)"), h("option", { value: "quick" }, "quick (0, 1 s, 4 s)"), h("option", { value: "custom" }, "custom"))),
      h("div", {}, h("label", { for: "ne-custom" }, "Custom delays (ms, comma separated)"), h("input", { type: "text", id: "ne-custom", name: "custom_schedule", placeholder: "0, 1000, 60000" })),
      h("div", {}, h("label", { for: "ne-timeout" }, "Timeout (ms)"), h("input", { type: "number", id: "ne-timeout", name: "timeout_ms", value: "10000", min: "100", max: "30000" }))),
    h("label", { for: "ne-headers" }, "Custom headers (Name: value per line)"), h("textarea", { id: "ne-headers", name: "headers", rows: "2" }),
    h("button", { type: "submit" }, "Add endpoint"));
  return form;
}


async function endpointCard(formId, ep) {
  let recent = [];
  try {
    recent = (await api("GET", `/forms/${formId}/endpoints/${ep.id}/attempts?limit=50`)).data.reverse();
  } catch {}
  const health = healthOf(ep);
  return h("article", { class: "panel endpoint", "data-endpoint": ep.id },
    h("h3", {}, h("a", { href: `#/forms/${formId}/endpoints/${ep.id}` }, ep.url)),
    h("div", { class: "row" },
      h("span", { class: `badge ${ep.enabled ? "ok" : "bad"}` }, ep.enabled ? "enabled" : "disabled"),
      ep.enabled ? h("span", { class: `badge ${health.kind}`, "data-health": health.word }, health.word) : null,
      sparkline(recent, `Endpoint ${ep.url}`),
      h("span", { class: "muted counts" }, countsText(ep.stats)),
      h("span", { class: "muted" }, `${ep.scheme} · ${ep.payload_shape}`)),
    healthAlert(formId, ep),
    ep.public_key ? h("p", { class: "muted" }, "Public key (v1a): ", h("code", { class: "public-key" }, ep.public_key), " · ", h("a", { href: `/keys/${ep.id}` }, "published keys")) : null,
    h("div", { class: "row" },
      h("a", { class: "button secondary", href: `#/forms/${formId}/endpoints/${ep.id}` }, "Delivery log"),
      act("Send test event", async () => {
        const r = await api("POST", `/forms/${formId}/endpoints/${ep.id}/test`);
        flash(`Test event ${r.message_id} queued.`);
      }),
      act(ep.enabled ? "Disable" : "Enable", async () => {
        await api("POST", `/forms/${formId}/endpoints/${ep.id}/${ep.enabled ? "disable" : "enable"}`);
        route();
      }),
      act("Rotate secret", async () => {
        if (!confirm("Rotate the signing secret? The old one keeps signing for 24 hours.")) return;
        const r = await api("POST", `/forms/${formId}/endpoints/${ep.id}/rotate-secret`, {});
        if (r.secret) revealSecret(r.secret);
        flash(`${r.public_key ? `New public key ${r.public_key}. ` : ""}Rotated; the previous key expires ${when(r.previous_secret_expires_at)}.`);
      }),
      act("Delete", async () => {
        if (!confirm(`Delete the endpoint ${ep.url} and its log?`)) return;
        await api("DELETE", `/forms/${formId}/endpoints/${ep.id}`);
        route();
      }, "danger")));
}

/** The submissions list's query: search text, spam, time window (dates are local days). */
function submissionQuery(box) {
  const params = new URLSearchParams();
  const { q = "", spam = "", since = "", until = "" } = box.dataset;
  if (q) params.set("q", q);
  if (spam) params.set("spam", spam);
  const day = (d, next) => {
    const t = new Date(`${d}T00:00:00`);
    if (next) t.setDate(t.getDate() + 1);
    return t.toISOString();
  };
  if (since) params.set("since", day(since, false));
  if (until) params.set("until", day(until, true));
  return params;
}

async function formView(formId) {
  const [form, { data: endpoints }] = await Promise.all([api("GET", `/forms/${formId}`), api("GET", `/forms/${formId}/endpoints`)]);
  const cards = endpoints.length ? await Promise.all(endpoints.map((ep) => endpointCard(formId, ep))) : [h("p", { class: "empty" }, "No endpoints yet — add one below to start receiving webhooks.")];
  const subsBox = h("div", { id: "submissions" });
  const reload = () => {
    // A newer query makes answers still on their way stale.
    subsBox.dataset.generation = String(Number(subsBox.dataset.generation ?? 0) + 1);
    subsBox.replaceChildren();
    loadSubmissions(formId, endpoints, subsBox).catch(fail);
  };
  const search = h("form", { class: "panel search row", id: "submission-search", role: "search", onsubmit: (e) => {
    e.preventDefault();
    const fd = new FormData(e.target);
    for (const k of ["q", "spam", "since", "until"]) subsBox.dataset[k] = String(fd.get(k) ?? "");
    reload();
  } },
    h("div", {}, h("label", { for: "sub-q" }, "Search field values"), h("input", { type: "search", id: "sub-q", name: "q", placeholder: "ada@example.com" })),
    h("div", {}, h("label", { for: "spam-filter" }, "Show"), h("select", { id: "spam-filter", name: "spam", onchange: (e) => e.target.form.requestSubmit() },
      h("option", { value: "" }, "all submissions"), h("option", { value: "true" }, "spam only"), h("option", { value: "false" }, "not spam"))),
    h("div", {}, h("label", { for: "sub-since" }, "Received from"), h("input", { type: "date", id: "sub-since", name: "since" })),
    h("div", {}, h("label", { for: "sub-until" }, "Received through"), h("input", { type: "date", id: "sub-until", name: "until" })),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Search"),
      act("Export CSV", async () => {
        await download(`/forms/${formId}/submissions.csv?${submissionQuery(subsBox)}`, `${formId}-submissions.csv`);
        flash("CSV export downloaded.");
      })));
  const justCreated = sessionStorage.getItem("formhook.newForm") === formId;
  sessionStorage.removeItem("formhook.newForm");
  app.replaceChildren(
    h("p", {}, h("a", { href: "#/" }, "← Forms")),
    h("h1", {}, form.name, " ", h("span", { class: "muted" }, `(${form.id})`)),
    h("p", { class: "row" }, "Form action: ", h("code", {}, `${location.origin}/f/${form.id}`), h("a", { class: "button secondary", href: `#/forms/${formId}/settings` }, "Form settings")),
    onboardingPanel(form, location.origin, { open: justCreated || endpoints.length === 0 }),
    h("h2", {}, "Endpoints"), ...cards, endpointForm(formId, route),
    h("h2", {}, "Submissions"), search, subsBox, captchaPanel(form));
  await loadSubmissions(formId, endpoints, subsBox);
}

/** "name: Ada · email: ada@example.com · message: Hello…", cut with an ellipsis. */
function preview(data, max = 160) {
  const text = Object.entries(data).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(" · ").replace(/\s+/g, " ");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

async function loadSubmissions(formId, endpoints, box, cursor) {
  const generation = box.dataset.generation;
  const params = submissionQuery(box);
  params.set("limit", "20");
  if (cursor) params.set("cursor", cursor);
  const page = await api("GET", `/forms/${formId}/submissions?${params}`);
  if (box.dataset.generation !== generation) return;
  if (!cursor && page.data.length === 0) {
    const filtered = box.dataset.q || box.dataset.spam || box.dataset.since || box.dataset.until;
    box.replaceChildren(filtered
      ? h("p", { class: "empty" }, "No submissions match.")
      : h("p", { class: "empty" }, "No submissions yet — post a form to ", h("code", {}, `/f/${formId}`), " (try the ", h("a", { href: `../demo/?form=${formId}` }, "demo form"), ")."));
    return;
  }
  let table = box.querySelector("tbody");
  if (!table) {
    table = h("tbody");
    box.replaceChildren(h("div", { class: "table-wrap" }, h("table", { id: "submission-list" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Received"), h("th", { scope: "col" }, "Data"), h("th", { scope: "col" }, "Actions"))), table)));
  }
  for (const s of page.data) {
    const target = h("select", { "aria-label": `Replay ${s.id} to` }, h("option", { value: "" }, "all endpoints"), endpoints.map((ep) => h("option", { value: ep.id }, ep.url)));
    table.append(h("tr", { "data-submission": s.id },
      h("td", {}, h("a", { href: `#/forms/${formId}/submissions/${s.id}` }, when(s.created_at)), s.spam ? [" ", h("span", { class: "badge warn", title: SPAM_REASONS[s.spam_reason] ?? "" }, `spam: ${s.spam_reason ?? "unknown"}`)] : null, h("div", { class: "muted" }, s.id),
        s.meta.captcha ? h("div", { class: "muted" }, `${PROVIDER_LABELS[s.meta.captcha.provider] ?? s.meta.captcha.provider}: ${s.meta.captcha.success ? "passed" : (s.meta.captcha.error_codes ?? []).join(", ")}${s.meta.captcha.score !== undefined ? ` · score ${s.meta.captcha.score}` : ""}`) : null),
      h("td", {}, h("span", { class: "preview" }, preview(s.data)), s.files.length ? h("div", { class: "muted" }, `${s.files.length} file(s): ${s.files.map((f) => f.filename).join(", ")}`) : null,
        h("div", {}, h("a", { href: `#/forms/${formId}/submissions/${s.id}`, "aria-label": `Open submission ${s.id}` }, "Open in full"))),
      h("td", {}, target, h("button", { type: "button", onclick: async () => {
        try {
          const r = await api("POST", `/forms/${formId}/submissions/${s.id}/replay`, target.value ? { endpoint_id: target.value } : {});
          flash(`Replay queued to ${r.endpoints.length} endpoint(s).`);
        } catch (err) {
          fail(err);
        }
      } }, "Replay"),
      s.spam ? h("button", { type: "button", class: "secondary", onclick: async () => {
        try {
          const r = await api("POST", `/forms/${formId}/submissions/${s.id}/not-spam`);
          flash(`Marked as not spam; delivering to ${r.endpoints.length} endpoint(s).`);
          route();
        } catch (err) {
          fail(err);
        }
      } }, "Not spam") : null)));
  }
  box.querySelector(".load-more")?.remove();
  if (page.next_cursor) box.append(h("button", { type: "button", class: "secondary load-more", onclick: () => loadSubmissions(formId, endpoints, box, page.next_cursor).catch(fail) }, "Load more"));
}

const valueText = (v) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));
const badgeOf = (status) => (status === "delivered" ? "ok" : status === "pending" ? "warn" : "bad");

/** One submission in full: every field, its files, the request facts, each endpoint's delivery. */
async function submissionView(formId, subId) {
  const [s, { data: endpoints }] = await Promise.all([api("GET", `/forms/${formId}/submissions/${subId}`), api("GET", `/forms/${formId}/endpoints`)]);
  const perEndpoint = await Promise.all(endpoints.map((ep) => api("GET", `/forms/${formId}/endpoints/${ep.id}/deliveries?submission_id=${encodeURIComponent(subId)}&limit=20`).then((r) => r.data).catch(() => [])));
  const fields = Object.entries(s.data);
  const meta = Object.entries(s.meta).filter(([k, v]) => v !== null && v !== undefined && k !== "captcha");
  app.replaceChildren(
    h("p", {}, h("a", { href: `#/forms/${formId}` }, "← Form")),
    h("h1", {}, "Submission ", h("span", { class: "muted" }, s.id)),
    h("p", { class: "row" }, `Received ${when(s.created_at)}`, s.spam ? h("span", { class: "badge warn" }, `spam: ${s.spam_reason ?? "unknown"}`) : h("span", { class: "badge ok" }, "not spam"), h("span", { class: "muted" }, `webhook-id ${s.message_id}`)),
    h("section", { class: "panel" }, h("h2", {}, "Fields"),
      fields.length ? h("dl", { class: "fields", id: "submission-fields" }, fields.map(([k, v]) => [h("dt", {}, k), h("dd", {}, h("pre", { class: "value" }, valueText(v)))])) : h("p", { class: "muted" }, "No fields.")),
    h("section", { class: "panel" }, h("h2", {}, "Files"),
      s.files.length ? h("ul", {}, s.files.map((f, i) => h("li", {}, `${f.field}: `, f.stored
        ? h("button", { type: "button", class: "secondary", onclick: () => download(`/forms/${formId}/submissions/${s.id}/files/${i}`, f.filename).then(() => flash(`${f.filename} downloaded.`)).catch(fail) }, `Download ${f.filename}`)
        : h("span", {}, `${f.filename} (bytes not kept)`),
        h("span", { class: "muted" }, ` ${f.size} B · ${f.content_type} · sha256 ${f.sha256}`)))) : h("p", { class: "muted" }, "No files.")),
    h("section", { class: "panel" }, h("h2", {}, "Request"),
      h("dl", { class: "fields" }, meta.map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]),
        s.meta.captcha ? [h("dt", {}, "captcha"), h("dd", {}, `${PROVIDER_LABELS[s.meta.captcha.provider] ?? s.meta.captcha.provider}: ${s.meta.captcha.success ? "passed" : (s.meta.captcha.error_codes ?? []).join(", ")}`)] : null)),
    h("section", { class: "panel" }, h("h2", {}, "Deliveries"),
      endpoints.length ? h("ul", { id: "submission-deliveries" }, endpoints.map((ep, i) => h("li", { "data-endpoint": ep.id }, h("a", { href: `#/forms/${formId}/endpoints/${ep.id}` }, ep.url), ": ",
        perEndpoint[i].length ? perEndpoint[i].map((d) => h("span", { class: "delivery" }, h("span", { class: `badge ${badgeOf(d.status)}` }, d.status), " ", h("a", { href: `#/forms/${formId}/endpoints/${ep.id}/deliveries/${d.id}` }, `${d.attempts} attempt(s)${d.replay ? ", replay" : ""}`), " "))
          : h("span", { class: "muted" }, s.spam ? "not delivered (spam)" : "no delivery yet")))) : h("p", { class: "muted" }, "The form has no endpoints.")),
    h("div", { class: "row" },
      act("Replay to all endpoints", async () => {
        const r = await api("POST", `/forms/${formId}/submissions/${s.id}/replay`, {});
        flash(`Replay queued to ${r.endpoints.length} endpoint(s).`);
      }, "primary"),
      s.spam ? act("Not spam", async () => {
        const r = await api("POST", `/forms/${formId}/submissions/${s.id}/not-spam`);
        flash(`Marked as not spam; delivering to ${r.endpoints.length} endpoint(s).`);
      }) : null,
      act("Delete submission", async () => {
        if (!confirm(`Delete the submission ${s.id} and its files? This cannot be undone.`)) return;
        try {
          await api("DELETE", `/forms/${formId}/submissions/${s.id}`);
        } catch (err) {
          if (err instanceof ApiError) {
            flash(`Delete failed: ${err.message} (${err.code}, HTTP ${err.status})`, "bad");
            return;
          }
          throw err;
        }
        flashAfterNavigation(`Submission ${s.id} deleted.`);
        location.hash = `#/forms/${formId}`;
      }, "danger")));
}

/** Every form setting the API accepts (from its schema), the captcha aside, and deleting the form. */
async function formSettingsView(formId) {
  const form = await api("GET", `/forms/${formId}`);
  const editor = settingsEditor({
    id: "form-settings", title: "Settings", schemaName: "FormFields", schemas: SCHEMAS, values: form,
    skip: ["id", "captcha"], submitLabel: "Save settings", onError: fail,
    save: async (changed) => {
      if (!Object.keys(changed).length) return flash("Nothing changed.");
      await api("PATCH", `/forms/${formId}`, changed);
      flash(`Form saved (${Object.keys(changed).join(", ")}).`);
    },
  });
  app.replaceChildren(
    h("p", {}, h("a", { href: `#/forms/${formId}` }, "← Form")),
    h("h1", {}, form.name, " ", h("span", { class: "muted" }, `(${form.id}) settings`)),
    editor,
    h("section", { class: "panel danger-zone" }, h("h2", {}, "Delete this form"),
      h("p", {}, "Deletes the form, every submission and file, and its endpoints with their logs. Posts to its URL get 404 afterwards."),
      act("Delete form", async () => {
        if (prompt(`Type the form id (${form.id}) to delete it with everything it holds.`) !== form.id) return;
        await api("DELETE", `/forms/${formId}`);
        flashAfterNavigation(`Form ${form.id} deleted.`);
        location.hash = "#/";
      }, "danger")));
}

/** The playground's URL for an attempt: scheme, body and headers in the fragment, never a secret. */
function playgroundLink(scheme, body, request) {
  const ts = request.headers.find(([n]) => n === "webhook-timestamp")?.[1];
  const data = { scheme, body, headers: request.headers, now: ts ? Number(ts) : undefined };
  const bytes = new TextEncoder().encode(JSON.stringify(data));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  const b64 = btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `../playground/#check=${b64}`;
}

function attemptsTable(ep, full) {
  return h("div", { class: "attempts" },
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["#", "Started", "HTTP", "Outcome", "Latency", "Response / error", "Next attempt"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, full.attempt_log.map((a) => h("tr", { "data-attempt": a.id }, h("td", {}, a.attempt), h("td", {}, when(a.started_at)), h("td", {}, a.status ?? "—"), h("td", {}, a.outcome), h("td", {}, `${a.latency_ms} ms`), h("td", {}, h("code", {}, a.error ?? (a.response_excerpt.slice(0, 300) || "—"))), h("td", {}, when(a.next_attempt_at))))))),
    full.attempt_log.filter((a) => a.request).map((a) => h("details", { class: "request", "data-request": a.id },
      h("summary", {}, `Request of attempt ${a.attempt}`),
      h("pre", { class: "request-text" }, `POST ${a.request.url}\n${a.request.headers.map(([n, v]) => `${n}: ${v}`).join("\n")}\n\n${full.payload}`),
      h("p", { class: "row" }, h("a", { class: "button secondary", href: playgroundLink(ep.scheme, full.payload, a.request) }, "Check in playground"),
        h("span", { class: "muted" }, "The signing secret is not included: paste it there.")))),
    h("details", {}, h("summary", {}, "Payload"), h("pre", {}, full.payload)));
}

async function endpointView(formId, epId, openDelivery) {
  const log = h("div", { id: "log" });
  const status = h("select", { id: "log-status", onchange: () => loadLog() }, h("option", { value: "" }, "all"), ["pending", "delivered", "failed", "skipped"].map((s) => h("option", { value: s }, s)));
  const [ep, attempts] = await Promise.all([
    api("GET", `/forms/${formId}/endpoints/${epId}`),
    api("GET", `/forms/${formId}/endpoints/${epId}/attempts?limit=50`),
  ]);

  const row = (d, last) => {
    const detail = h("tr", { hidden: true, class: "delivery-detail" }, h("td", { colspan: "6" }));
    const open = async () => {
      toggle.setAttribute("aria-expanded", "true");
      detail.hidden = false;
      const full = await api("GET", `/forms/${formId}/endpoints/${epId}/deliveries/${d.id}`).catch(fail);
      if (full) detail.firstChild.replaceChildren(attemptsTable(ep, full));
    };
    const toggle = h("button", { type: "button", class: "secondary", "aria-expanded": "false", onclick: async () => {
      if (toggle.getAttribute("aria-expanded") === "true") {
        toggle.setAttribute("aria-expanded", "false");
        detail.hidden = true;
      } else await open();
    } }, "Attempts");
    const again = d.status === "pending"
      ? act("Retry now", async () => {
        const logged = await loggedAttempts(d.id);
        await api("POST", `/forms/${formId}/endpoints/${epId}/deliveries/${d.id}/retry`);
        flash(`Delivery ${d.id} is being attempted now.`);
        await refreshWhen(async () => (await loggedAttempts(d.id)) > logged);
      }, "secondary", { "data-action": "retry" })
      : act("Resend", async () => {
        const logged = await loggedAttempts(d.id);
        await api("POST", `/forms/${formId}/endpoints/${epId}/deliveries/${d.id}/resend`);
        flash(`Delivery ${d.id} is being sent again.`);
        await refreshWhen(async () => (await loggedAttempts(d.id)) > logged);
      }, "secondary", { "data-action": "resend" });
    const tr = h("tr", { "data-delivery": d.id },
      h("td", {}, h("span", { class: `badge ${badgeOf(d.status)}` }, d.status), d.replay ? [" ", h("span", { class: "badge warn" }, "replay")] : null),
      h("td", {}, d.event_type, h("div", { class: "muted" }, d.message_id), d.submission_id ? h("div", {}, h("a", { href: `#/forms/${formId}/submissions/${d.submission_id}` }, d.submission_id)) : null),
      h("td", {}, d.attempts, last ? h("div", { class: "muted" }, `${last.latency_ms} ms`) : null),
      h("td", {}, d.last_status ?? "—", d.last_error ? h("div", { class: "muted" }, h("code", {}, d.last_error.slice(0, 120))) : last?.response_excerpt ? h("div", { class: "muted" }, h("code", {}, last.response_excerpt.slice(0, 80))) : null),
      h("td", {}, d.status === "pending" ? when(d.next_attempt_at) : when(d.created_at)),
      h("td", {}, h("div", { class: "row" }, toggle, ep.enabled ? again : null)));
    return { rows: [tr, detail], open };
  };

  const loggedAttempts = async (id) => (await api("GET", `/forms/${formId}/endpoints/${epId}/deliveries/${id}`)).attempt_log.length;
  /** Shows the log again once `done()` (polled) says the attempts ran, or after 30 s. */
  const refreshWhen = async (done) => {
    const view = location.hash;
    for (const until = Date.now() + 30_000; Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 400));
      if (location.hash !== view) return;
      if (await done().catch(() => true)) break;
    }
    if (location.hash === view) route();
  };

  const latencyOf = new Map();
  for (const a of attempts.data) if (!latencyOf.has(a.delivery_id)) latencyOf.set(a.delivery_id, a);

  async function loadLog() {
    const q = status.value ? `&status=${status.value}` : "";
    const deliveries = await api("GET", `/forms/${formId}/endpoints/${epId}/deliveries?limit=50${q}`);
    if (!deliveries.data.length) {
      log.replaceChildren(h("p", { class: "empty" }, status.value ? `No ${status.value} deliveries.` : "No deliveries yet — submit the form or send a test event."));
      return;
    }
    const built = deliveries.data.map((d) => ({ d, ...row(d, latencyOf.get(d.id)) }));
    // A delivery linked to directly that is not on this page is shown first.
    if (openDelivery && !built.some((b) => b.d.id === openDelivery)) {
      const full = await api("GET", `/forms/${formId}/endpoints/${epId}/deliveries/${openDelivery}`).catch(() => null);
      if (full) built.unshift({ d: full, ...row(full, latencyOf.get(full.id)) });
    }
    log.replaceChildren(h("div", { class: "table-wrap" }, h("table", { id: "deliveries" },
      h("thead", {}, h("tr", {}, ["Status", "Event", "Attempts", "Last HTTP", "Next / created", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, built.flatMap((b) => b.rows)))));
    const target = built.find((b) => b.d.id === openDelivery);
    if (target) {
      await target.open();
      target.rows[0].scrollIntoView({ block: "start" });
    }
  }

  const edit = settingsEditor({
    id: "edit-endpoint", title: "Settings", schemaName: "EndpointFields", schemas: SCHEMAS, values: ep,
    skip: ["secret", "enabled"], submitLabel: "Save endpoint", onError: fail,
    save: async (changed) => {
      const saved = await api("PATCH", `/forms/${formId}/endpoints/${epId}`, changed);
      if (saved.secret) revealSecret(saved.secret);
      flash("Endpoint saved.");
    },
  });
  const chronological = [...attempts.data].reverse();
  const ok = attempts.data.filter((a) => a.outcome === "delivered").length;
  const failed = ep.stats.failed;
  app.replaceChildren(
    h("p", {}, h("a", { href: `#/forms/${formId}` }, "← Form")),
    h("h1", {}, "Delivery log"),
    h("p", { class: "row" }, h("code", {}, ep.url), h("span", { class: `badge ${ep.enabled ? "ok" : "bad"}` }, ep.enabled ? "enabled" : "disabled"), ep.enabled ? h("span", { class: `badge ${healthOf(ep).kind}` }, healthOf(ep).word) : null),
    h("p", { class: "row" }, sparkline(chronological, "Success rate"), h("span", {}, `${attempts.data.length ? Math.round((100 * ok) / attempts.data.length) : 0}% of the last ${attempts.data.length} attempts delivered`)),
    h("p", { class: "counts", id: "log-counts" }, countsText(ep.stats)),
    healthAlert(formId, ep) ?? "",
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", onclick: () => route() }, "Refresh"),
      act("Send test event", async () => {
        const r = await api("POST", `/forms/${formId}/endpoints/${epId}/test`);
        flash(`Test event ${r.message_id} queued.`);
        setTimeout(route, 700);
      }, "primary"),
      act(`Replay all failed (${failed})`, async () => {
        if (!confirm(`Send all ${failed} failed deliveries to ${ep.url} again?`)) return;
        const r = await api("POST", `/forms/${formId}/endpoints/${epId}/replay-failed`);
        flash(`${r.queued} failed deliveries are being sent again.`);
        // Done once the replayed deliveries have left `pending` (delivered, or failed again).
        await refreshWhen(async () => (await api("GET", `/forms/${formId}/endpoints/${epId}`)).stats.pending <= ep.stats.pending);
      }, "secondary", { disabled: failed === 0 || !ep.enabled, id: "replay-failed" }),
      h("label", { for: "log-status", class: "inline" }, "Show"), status),
    log,
    edit);
  await loadLog();
}

async function route() {
  if (!token.get()) return showSignIn();
  $("signin").hidden = true;
  app.hidden = false;
  $("sign-out").hidden = false;
  const hash = location.hash;
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  // `data-ready` names the view once it is drawn (tests and scripts wait for it).
  delete app.dataset.ready;
  try {
    await loadVocabulary();
    if (parts[0] === "forms" && parts[2] === "endpoints" && parts[3]) await endpointView(parts[1], parts[3], parts[4] === "deliveries" ? parts[5] : undefined);
    else if (parts[0] === "forms" && parts[2] === "submissions" && parts[3]) await submissionView(parts[1], parts[3]);
    else if (parts[0] === "forms" && parts[2] === "settings") await formSettingsView(parts[1]);
    else if (parts[0] === "forms" && parts[1]) await formView(parts[1]);
    else await formsView();
  } catch (err) {
    fail(err);
  } finally {
    if (location.hash === hash) app.dataset.ready = hash || "#/";
  }
}

window.addEventListener("hashchange", () => {
  // A message meant for the view being opened survives the change; any other is cleared.
  flash(carried?.message ?? "", carried?.kind);
  carried = null;
  route();
});
route();
