// The demo form: posts to /f/{id} as a plain HTML form or with fetch, then follows the
// submission's deliveries through the admin API (when this tab has the dashboard's token).
import { api, h, token, when } from "../lib/api.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
if (params.get("form")) $("form-id").value = params.get("form");
const formId = () => $("form-id").value.trim() || "demo";
const sync = () => ($("demo-form").action = `/f/${encodeURIComponent(formId())}`);
let captchaTimer;
$("form-id").addEventListener("input", () => {
  sync();
  clearTimeout(captchaTimer);
  captchaTimer = setTimeout(setUpCaptcha, 400);
});
sync();

// ---- the form's captcha widget ------------------------------------------------------------
// When the form has a captcha, the worker tells which widget to render (GET /f/{id}/captcha:
// provider, site key, script). The provider's script fills the token field the worker checks;
// when the script cannot load (offline, blocked), the page says so and the form stays usable.
let widget = null;
const LABELS = { turnstile: "Cloudflare Turnstile", hcaptcha: "hCaptcha", recaptcha: "Google reCAPTCHA" };

function captchaStatus(text, kind = "") {
  $("captcha-status").textContent = text;
  $("captcha-status").className = kind ? `status result ${kind}` : "muted";
}

async function setUpCaptcha() {
  const box = $("captcha-box");
  widget = null;
  box.replaceChildren();
  box.hidden = true;
  captchaStatus("");
  let config;
  try {
    const res = await fetch(`/f/${encodeURIComponent(formId())}/captcha`);
    if (!res.ok) return; // no captcha on this form (or no such form)
    config = await res.json();
  } catch {
    return;
  }
  widget = config;
  const label = LABELS[config.provider] ?? config.provider;
  box.hidden = false;
  const script = document.createElement("script");
  script.async = true;
  script.src = config.invisible ? `${config.script_url}?render=${encodeURIComponent(config.site_key)}` : config.script_url;
  if (config.invisible) {
    box.append(h("input", { type: "hidden", name: config.token_field, value: "" }));
    captchaStatus(`Protected by ${label} (invisible): a token is requested when you submit.`);
  } else {
    box.append(h("div", { class: config.widget_class, "data-sitekey": config.site_key, ...(config.action ? { "data-action": config.action } : {}) }));
  }
  script.addEventListener("load", () => {
    if (!config.invisible) captchaStatus(`Protected by ${label}.`);
  });
  script.addEventListener("error", () => {
    captchaStatus(`The spam check (${label}) could not load: this page may be offline, or a blocker stopped ${new URL(config.script_url).host}. This form requires it, so a submission without it is refused (captcha_required).`, "bad");
  });
  document.head.append(script);
}

/** reCAPTCHA v3: asks for a token right before a submission. */
async function freshToken() {
  if (!widget?.invisible || !window.grecaptcha?.execute) return;
  const value = await new Promise((resolve, reject) => {
    window.grecaptcha.ready(() => window.grecaptcha.execute(widget.site_key, { action: widget.action ?? "submit" }).then(resolve, reject));
  });
  $("captcha-box").querySelector(`input[name="${widget.token_field}"]`).value = value;
}

/** A token is single use: a widget that has been used needs a new one. */
function resetCaptcha() {
  if (!widget || widget.invisible) return;
  const api = { turnstile: window.turnstile, hcaptcha: window.hcaptcha, recaptcha: window.grecaptcha }[widget.provider];
  try {
    api?.reset?.();
  } catch {}
}

setUpCaptcha();
$("demo-form").addEventListener("submit", async (e) => {
  if (!widget?.invisible) return;
  e.preventDefault();
  try {
    await freshToken();
  } catch {}
  e.target.submit();
});

function answer(kind, text) {
  $("answer").className = `status result ${kind}`;
  $("answer").textContent = text;
}

async function follow(formId, submissionId) {
  if (!token.get()) return;
  const box = $("deliveries");
  const { data: endpoints } = await api("GET", `/forms/${formId}/endpoints`);
  if (!endpoints.length) {
    box.replaceChildren(h("p", { class: "empty" }, "This form has no endpoints: add one in the dashboard."));
    return;
  }
  for (let round = 0; round < 40; round++) {
    const rows = [];
    let pending = 0;
    for (const ep of endpoints) {
      const { data } = await api("GET", `/forms/${formId}/endpoints/${ep.id}/deliveries?limit=20`);
      for (const d of data.filter((x) => x.submission_id === submissionId)) {
        if (d.status === "pending") pending++;
        rows.push(h("tr", {}, h("td", {}, ep.url), h("td", {}, h("span", { class: `badge ${d.status === "delivered" ? "ok" : d.status === "pending" ? "warn" : "bad"}` }, d.status)), h("td", {}, d.attempts), h("td", {}, d.last_status ?? "—"), h("td", {}, when(d.created_at))));
      }
    }
    box.replaceChildren(h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Endpoint", "Status", "Attempts", "HTTP", "Created"].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows))),
      h("p", {}, h("a", { href: `../dashboard/#/forms/${formId}` }, "Open in the dashboard")));
    if (rows.length && pending === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

$("submit-fetch").addEventListener("click", async () => {
  const form = $("demo-form");
  if (!form.reportValidity()) return;
  const id = formId();
  try {
    try {
      await freshToken();
    } catch {}
    const res = await fetch(form.action, { method: "POST", body: new FormData(form), headers: { accept: "application/json" } });
    resetCaptcha();
    const body = await res.json();
    if (!res.ok) {
      const codes = body.error?.error_codes?.length ? ` [${body.error.error_codes.join(", ")}]` : "";
      return answer("bad", `${res.status}: ${body.error?.message ?? "refused"} (${body.error?.code ?? "error"})${codes}`);
    }
    answer("ok", `Stored as ${body.id}${body.spam ? " (marked spam)" : ""}.`);
    await follow(id, body.id);
  } catch (e) {
    answer("bad", String(e.message ?? e));
  }
});
