// The dashboard: forms, endpoints, submissions and delivery logs over the admin API.
// Views are addressed by the URL hash: #/ (forms), #/forms/{id}, #/forms/{id}/endpoints/{ep}.
import { api, ApiError, download, h, sparkline, token, when } from "../lib/api.js";

const $ = (id) => document.getElementById(id);
const app = $("app");

function flash(message, kind = "ok") {
  const box = $("flash");
  box.className = message ? `status result ${kind}` : "status";
  box.textContent = message;
}

function fail(e) {
  if (e instanceof ApiError && e.status === 401) {
    token.clear();
    showSignIn("Your token was refused (401): sign in again.");
    return;
  }
  flash(e instanceof ApiError ? `${e.message} (${e.code})` : String(e.message ?? e), "bad");
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

$("secret-copy").addEventListener("click", () => navigator.clipboard?.writeText($("secret-value").value));
$("secret-close").addEventListener("click", () => {
  $("secret-value").value = "";
  $("secret-dialog").close();
});
$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  token.set($("token-input").value.trim());
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

// ---- views ------------------------------------------------------------------------------

async function formsView() {
  const { data: forms } = await api("GET", "/forms");
  const list = forms.length
    ? h("ul", {}, forms.map((f) => h("li", {}, h("a", { href: `#/forms/${f.id}` }, f.name), " ", h("span", { class: "muted" }, `(${f.id}) · ${f.endpoint_ids.length} endpoint(s)`))))
    : h("p", { class: "empty" }, "No forms yet — create one below.");
  const create = h("form", { class: "panel", id: "new-form", onsubmit: async (e) => {
    e.preventDefault();
    const fd = new FormData(e.target);
    const body = { name: fd.get("name") || undefined };
    if (fd.get("id")) body.id = fd.get("id");
    if (fd.get("redirect_url")) body.redirect_url = fd.get("redirect_url");
    try {
      const form = await api("POST", "/forms", body);
      flash(`Form ${form.id} created. Point your HTML form at ${location.origin}/f/${form.id}`);
      location.hash = `#/forms/${form.id}`;
    } catch (err) {
      fail(err);
    }
  } },
    h("h2", {}, "New form"),
    h("label", { for: "nf-id" }, "Id (optional: a-z, 0-9, _ and -)"), h("input", { type: "text", id: "nf-id", name: "id", pattern: "[a-z0-9][a-z0-9_-]{0,63}" }),
    h("label", { for: "nf-name" }, "Name"), h("input", { type: "text", id: "nf-name", name: "name" }),
    h("label", { for: "nf-redirect" }, "Redirect after submit (optional)"), h("input", { type: "text", id: "nf-redirect", name: "redirect_url", placeholder: "https://example.com/thanks" }),
    h("button", { type: "submit" }, "Create form"));
  app.replaceChildren(h("h1", {}, "Forms"), list, create);
}

// Event types, schemes and payload shapes come from the worker's OpenAPI document, which is
// generated from the core's own lists: the dashboard keeps no copy of its own.
let EVENTS = [];
let SCHEMES = [];
let SHAPES = [];
let SIGNINGS = [];
let PROVIDERS = [];
let ON_ERROR = [];

async function loadVocabulary() {
  if (SCHEMES.length) return;
  const res = await fetch("/api/openapi.json");
  if (!res.ok) throw new Error(`the API description did not load (${res.status})`);
  const { schemas } = (await res.json()).components;
  SCHEMES = schemas.EndpointView.properties.scheme.enum;
  SHAPES = schemas.EndpointView.properties.payload_shape.enum;
  SIGNINGS = schemas.EndpointView.properties.signing.enum;
  EVENTS = schemas.EventSelector.enum.filter((e) => e !== "*");
  PROVIDERS = schemas.CaptchaView.properties.provider.enum;
  ON_ERROR = schemas.CaptchaView.properties.on_error.enum;
}

const PROVIDER_LABELS = { turnstile: "Cloudflare Turnstile", hcaptcha: "hCaptcha", recaptcha: "Google reCAPTCHA" };
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
    h("fieldset", {}, h("legend", {}, "Events"), EVENTS.map((ev, i) => h("label", { class: "inline", for: `ne-ev-${i}` }, h("input", { type: "checkbox", id: `ne-ev-${i}`, name: "events", value: ev, checked: true }), ev))),
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
  const act = (label, fn, cls = "secondary") => h("button", { type: "button", class: cls, onclick: async () => {
    try {
      await fn();
    } catch (err) {
      fail(err);
    }
  } }, label);
  return h("article", { class: "panel endpoint", "data-endpoint": ep.id },
    h("h3", {}, h("a", { href: `#/forms/${formId}/endpoints/${ep.id}` }, ep.url)),
    h("div", { class: "row" },
      h("span", { class: `badge ${ep.enabled ? "ok" : "bad"}` }, ep.enabled ? "enabled" : "disabled"),
      sparkline(recent, `Endpoint ${ep.url}`),
      h("span", { class: "muted" }, `${ep.stats.delivered} delivered · ${ep.stats.pending} pending · ${ep.stats.failed} failed · ${ep.scheme} · ${ep.payload_shape}`)),
    ep.disabled_reason ? h("p", { class: "muted" }, `Disabled: ${ep.disabled_reason}`) : null,
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

async function formView(formId) {
  const [form, { data: endpoints }] = await Promise.all([api("GET", `/forms/${formId}`), api("GET", `/forms/${formId}/endpoints`)]);
  const cards = endpoints.length ? await Promise.all(endpoints.map((ep) => endpointCard(formId, ep))) : [h("p", { class: "empty" }, "No endpoints yet — add one below to start receiving webhooks.")];
  const subsBox = h("div", { id: "submissions" });
  const spamFilter = h("p", { class: "row" }, h("label", { for: "spam-filter", class: "inline" }, "Show"), h("select", { id: "spam-filter", onchange: (e) => {
    subsBox.dataset.spam = e.target.value;
    // A newer choice makes answers still on their way stale.
    subsBox.dataset.generation = String(Number(subsBox.dataset.generation ?? 0) + 1);
    subsBox.replaceChildren();
    loadSubmissions(formId, endpoints, subsBox).catch(fail);
  } }, h("option", { value: "" }, "all submissions"), h("option", { value: "true" }, "spam only"), h("option", { value: "false" }, "not spam")));
  const settings = h("form", { class: "panel", onsubmit: async (e) => {
    e.preventDefault();
    const fd = new FormData(e.target);
    try {
      await api("PATCH", `/forms/${formId}`, {
        name: fd.get("name"),
        redirect_url: fd.get("redirect_url") || null,
        allowed_origins: String(fd.get("allowed_origins")).split(/[\s,]+/).filter(Boolean),
        rate_limit_per_minute: Number(fd.get("rate_limit_per_minute")),
      });
      flash("Form saved.");
    } catch (err) {
      fail(err);
    }
  } },
    h("h3", {}, "Settings"),
    h("label", { for: "fs-name" }, "Name"), h("input", { type: "text", id: "fs-name", name: "name", value: form.name }),
    h("label", { for: "fs-redirect" }, "Redirect after submit"), h("input", { type: "text", id: "fs-redirect", name: "redirect_url", value: form.redirect_url ?? "" }),
    h("label", { for: "fs-origins" }, "Allowed origins (empty = any)"), h("input", { type: "text", id: "fs-origins", name: "allowed_origins", value: form.allowed_origins.join(" ") }),
    h("label", { for: "fs-rate" }, "Submissions per minute per IP (0 = unlimited)"), h("input", { type: "number", id: "fs-rate", name: "rate_limit_per_minute", value: form.rate_limit_per_minute, min: "0" }),
    h("button", { type: "submit" }, "Save"));
  app.replaceChildren(
    h("p", {}, h("a", { href: "#/" }, "← Forms")),
    h("h1", {}, form.name, " ", h("span", { class: "muted" }, `(${form.id})`)),
    h("p", {}, "Form action: ", h("code", {}, `${location.origin}/f/${form.id}`)),
    h("h2", {}, "Endpoints"), ...cards, endpointForm(formId, route),
    h("h2", {}, "Submissions"), spamFilter, subsBox, settings, captchaPanel(form));
  await loadSubmissions(formId, endpoints, subsBox);
}

async function loadSubmissions(formId, endpoints, box, cursor) {
  const spam = box.dataset.spam ?? "";
  const generation = box.dataset.generation;
  const page = await api("GET", `/forms/${formId}/submissions?limit=20${spam ? `&spam=${spam}` : ""}${cursor ? `&cursor=${cursor}` : ""}`);
  if (box.dataset.generation !== generation) return;
  if (!cursor && page.data.length === 0) {
    box.replaceChildren(spam
      ? h("p", { class: "empty" }, spam === "true" ? "No spam." : "No submissions that are not spam.")
      : h("p", { class: "empty" }, "No submissions yet — post a form to ", h("code", {}, `/f/${formId}`), " (try the ", h("a", { href: `../demo/?form=${formId}` }, "demo form"), ")."));
    return;
  }
  let table = box.querySelector("tbody");
  if (!table) {
    table = h("tbody");
    box.replaceChildren(h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Received"), h("th", { scope: "col" }, "Data"), h("th", { scope: "col" }, "Actions"))), table)));
  }
  for (const s of page.data) {
    const target = h("select", { "aria-label": `Replay ${s.id} to` }, h("option", { value: "" }, "all endpoints"), endpoints.map((ep) => h("option", { value: ep.id }, ep.url)));
    table.append(h("tr", { "data-submission": s.id },
      h("td", {}, when(s.created_at), s.spam ? [" ", h("span", { class: "badge warn", title: SPAM_REASONS[s.spam_reason] ?? "" }, `spam: ${s.spam_reason ?? "unknown"}`)] : null, h("div", { class: "muted" }, s.id),
        s.meta.captcha ? h("div", { class: "muted" }, `${PROVIDER_LABELS[s.meta.captcha.provider] ?? s.meta.captcha.provider}: ${s.meta.captcha.success ? "passed" : (s.meta.captcha.error_codes ?? []).join(", ")}${s.meta.captcha.score !== undefined ? ` · score ${s.meta.captcha.score}` : ""}`) : null),
      h("td", {}, h("code", {}, JSON.stringify(s.data).slice(0, 200)),
        s.files.map((f, i) => h("div", {}, h("button", { type: "button", class: "secondary", onclick: () => download(`/forms/${formId}/submissions/${s.id}/files/${i}`, f.filename).catch(fail) }, `⬇ ${f.filename} (${f.size} B)`)))),
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

async function endpointView(formId, epId) {
  const [ep, deliveries, attempts] = await Promise.all([
    api("GET", `/forms/${formId}/endpoints/${epId}`),
    api("GET", `/forms/${formId}/endpoints/${epId}/deliveries?limit=50`),
    api("GET", `/forms/${formId}/endpoints/${epId}/attempts?limit=50`),
  ]);
  const latencyOf = new Map();
  for (const a of attempts.data) if (!latencyOf.has(a.delivery_id)) latencyOf.set(a.delivery_id, a);
  const rows = deliveries.data.map((d) => {
    const last = latencyOf.get(d.id);
    const detail = h("tr", { hidden: true }, h("td", { colspan: "6" }));
    const toggle = h("button", { type: "button", class: "secondary", "aria-expanded": "false", onclick: async () => {
      const open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      detail.hidden = open;
      if (!open) {
        const full = await api("GET", `/forms/${formId}/endpoints/${epId}/deliveries/${d.id}`).catch(fail);
        if (!full) return;
        detail.firstChild.replaceChildren(
          h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["#", "Started", "HTTP", "Outcome", "Latency", "Response / error", "Next attempt"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, full.attempt_log.map((a) => h("tr", {}, h("td", {}, a.attempt), h("td", {}, when(a.started_at)), h("td", {}, a.status ?? "—"), h("td", {}, a.outcome), h("td", {}, `${a.latency_ms} ms`), h("td", {}, h("code", {}, a.error ?? (a.response_excerpt.slice(0, 300) || "—"))), h("td", {}, when(a.next_attempt_at))))))),
          h("details", {}, h("summary", {}, "Payload"), h("pre", {}, full.payload)));
      }
    } }, "Attempts");
    const badge = d.status === "delivered" ? "ok" : d.status === "pending" ? "warn" : "bad";
    return [h("tr", { "data-delivery": d.id },
      h("td", {}, h("span", { class: `badge ${badge}` }, d.status), d.replay ? [" ", h("span", { class: "badge warn" }, "replay")] : null),
      h("td", {}, d.event_type, h("div", { class: "muted" }, d.message_id)),
      h("td", {}, d.attempts, last ? h("div", { class: "muted" }, `${last.latency_ms} ms`) : null),
      h("td", {}, d.last_status ?? "—", last?.response_excerpt ? h("div", { class: "muted" }, h("code", {}, last.response_excerpt.slice(0, 80))) : null),
      h("td", {}, d.status === "pending" ? when(d.next_attempt_at) : when(d.created_at)),
      h("td", {}, toggle)), detail];
  });
  const edit = h("form", { class: "panel", id: "edit-endpoint", onsubmit: async (e) => {
    e.preventDefault();
    const fd = new FormData(e.target);
    const schedule = String(fd.get("retry_schedule")).trim();
    const body = {
      url: fd.get("url"),
      description: fd.get("description"),
      events: EVENTS.filter((ev) => fd.getAll("events").includes(ev)),
      payload_shape: fd.get("payload_shape"),
      timeout_ms: Number(fd.get("timeout_ms")),
      signing: fd.get("signing"),
      retry_schedule: /^[\d\s,]+$/.test(schedule) ? schedule.split(",").map((x) => Number(x.trim())) : schedule,
    };
    try {
      const saved = await api("PATCH", `/forms/${formId}/endpoints/${epId}`, body);
      if (saved.secret) revealSecret(saved.secret);
      flash("Endpoint saved.");
    } catch (err) {
      fail(err);
    }
  } },
    h("h2", {}, "Settings"),
    h("label", { for: "ee-url" }, "URL"), h("input", { type: "url", id: "ee-url", name: "url", value: ep.url, required: true }),
    h("label", { for: "ee-desc" }, "Description"), h("input", { type: "text", id: "ee-desc", name: "description", value: ep.description }),
    h("fieldset", {}, h("legend", {}, "Events"), EVENTS.map((ev, i) => h("label", { class: "inline", for: `ee-ev-${i}` }, h("input", { type: "checkbox", id: `ee-ev-${i}`, name: "events", value: ev, checked: ep.events.includes(ev) || ep.events.includes("*") }), ev))),
    h("div", { class: "grid" },
      h("div", {}, h("label", { for: "ee-shape" }, "Payload shape"), h("select", { id: "ee-shape", name: "payload_shape" }, SHAPES.map((s) => h("option", { value: s, selected: s === ep.payload_shape }, s)))),
      h("div", {}, h("label", { for: "ee-signing" }, "Signing keys"), h("select", { id: "ee-signing", name: "signing" }, SIGNINGS.map((s) => h("option", { value: s, selected: s === ep.signing }, s)))),
      h("div", {}, h("label", { for: "ee-timeout" }, "Timeout (ms)"), h("input", { type: "number", id: "ee-timeout", name: "timeout_ms", value: ep.timeout_ms, min: "100", max: "30000" })),
      h("div", {}, h("label", { for: "ee-retry" }, "Retry schedule (standard, splitforms, quick or ms list)"), h("input", { type: "text", id: "ee-retry", name: "retry_schedule", value: Array.isArray(ep.retry_schedule) ? ep.retry_schedule.join(", ") : ep.retry_schedule }))),
    h("p", { class: "muted" }, `Scheme ${ep.scheme}; ${ep.secret_count} live key(s).`, ep.public_key ? [" Public key: ", h("code", {}, ep.public_key)] : null),
    h("button", { type: "submit" }, "Save endpoint"));
  const chronological = [...attempts.data].reverse();
  const ok = attempts.data.filter((a) => a.outcome === "delivered").length;
  app.replaceChildren(
    h("p", {}, h("a", { href: `#/forms/${formId}` }, "← Form")),
    h("h1", {}, "Delivery log"),
    h("p", {}, h("code", {}, ep.url), " ", h("span", { class: `badge ${ep.enabled ? "ok" : "bad"}` }, ep.enabled ? "enabled" : "disabled")),
    h("p", { class: "row" }, sparkline(chronological, "Success rate"), h("span", {}, `${attempts.data.length ? Math.round((100 * ok) / attempts.data.length) : 0}% of the last ${attempts.data.length} attempts delivered`)),
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", onclick: () => route() }, "Refresh"),
      h("button", { type: "button", onclick: async () => {
        try {
          const r = await api("POST", `/forms/${formId}/endpoints/${epId}/test`);
          flash(`Test event ${r.message_id} queued.`);
          setTimeout(route, 700);
        } catch (err) {
          fail(err);
        }
      } }, "Send test event")),
    deliveries.data.length
      ? h("div", { class: "table-wrap" }, h("table", { id: "deliveries" },
        h("thead", {}, h("tr", {}, ["Status", "Event", "Attempts", "Last HTTP", "Next / created", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.flat())))
      : h("p", { class: "empty" }, "No deliveries yet — submit the form or send a test event."),
    edit);
}

async function route() {
  if (!token.get()) return showSignIn();
  $("signin").hidden = true;
  app.hidden = false;
  $("sign-out").hidden = false;
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  try {
    await loadVocabulary();
    if (parts[0] === "forms" && parts[2] === "endpoints" && parts[3]) await endpointView(parts[1], parts[3]);
    else if (parts[0] === "forms" && parts[1]) await formView(parts[1]);
    else await formsView();
  } catch (err) {
    fail(err);
  }
}

window.addEventListener("hashchange", () => {
  flash("");
  route();
});
route();
