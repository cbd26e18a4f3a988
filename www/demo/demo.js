// The demo form: posts to /f/{id} as a plain HTML form or with fetch, then follows the
// submission's deliveries through the admin API (when this tab has the dashboard's token).
import { api, h, token, when } from "../lib/api.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
if (params.get("form")) $("form-id").value = params.get("form");
const sync = () => ($("demo-form").action = `/f/${encodeURIComponent($("form-id").value.trim() || "demo")}`);
$("form-id").addEventListener("input", sync);
sync();

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
  const formId = $("form-id").value.trim() || "demo";
  try {
    const res = await fetch(form.action, { method: "POST", body: new FormData(form), headers: { accept: "application/json" } });
    const body = await res.json();
    if (!res.ok) return answer("bad", `${res.status}: ${body.error?.message ?? "refused"} (${body.error?.code ?? "error"})`);
    answer("ok", `Stored as ${body.id}${body.spam ? " (marked spam)" : ""}.`);
    await follow(formId, body.id);
  } catch (e) {
    answer("bad", String(e.message ?? e));
  }
});
