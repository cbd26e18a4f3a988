// "Add it to your site": copy-ready HTML and fetch snippets for a form, from its settings
// (action URL, honeypot name, files).
import { h } from "../lib/api.js";

const esc = (text) => String(text).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** The HTML form: a plain post (303 to the redirect URL); multipart only when it sends files. */
export function htmlSnippet(form, origin, { files = false } = {}) {
  const action = `${origin}/f/${form.id}`;
  const lines = [
    `<form action="${esc(action)}" method="post"${files ? ' enctype="multipart/form-data"' : ""}>`,
    `  <label>Name <input name="name" autocomplete="name" required></label>`,
    `  <label>Email <input name="email" type="email" autocomplete="email" required></label>`,
    `  <label>Message <textarea name="message" rows="5"></textarea></label>`,
  ];
  if (files) lines.push(`  <label>Attachment <input name="attachment" type="file"></label>`);
  if (form.honeypot_field) {
    lines.push(`  <!-- Spam trap: people never see or fill it; a post that fills it is stored as spam. -->`);
    lines.push(`  <input name="${esc(form.honeypot_field)}" type="text" tabindex="-1" autocomplete="off" style="display:none">`);
  }
  lines.push(`  <button type="submit">Send</button>`, `</form>`);
  return lines.join("\n");
}

/** The same form posted with fetch: the page stays, the answer is JSON (`201 {ok, id}`). */
export function fetchSnippet(form, origin) {
  return `<script type="module">
const form = document.querySelector('form[action="${origin}/f/${form.id}"]');
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const res = await fetch(form.action, {
    method: "POST",
    body: new FormData(form), // files included
    headers: { accept: "application/json" },
  });
  const answer = await res.json(); // 201 {ok, id} or {error: {code, message}}
  if (res.ok) form.replaceWith("Thank you, we got your message.");
  else alert(answer.error.message);
});
</script>`;
}

function copyBlock(id, title, text) {
  const pre = h("pre", { id, tabindex: "0", "aria-label": title }, text);
  const copy = h("button", { type: "button", class: "secondary", onclick: async () => {
    try {
      await navigator.clipboard.writeText(pre.textContent);
      copy.textContent = "Copied";
    } catch {
      // No clipboard permission: select the text so Ctrl-C works.
      getSelection().selectAllChildren(pre);
    }
  } }, "Copy");
  return h("div", { class: "snippet" }, h("div", { class: "row" }, h("h3", {}, title), copy), pre);
}

/** The panel; `open` when the form was just created. */
export function onboardingPanel(form, origin, { open = false } = {}) {
  const files = h("input", { type: "checkbox", id: "snippet-files" });
  const html = copyBlock("snippet-html", "HTML form", htmlSnippet(form, origin));
  const script = copyBlock("snippet-fetch", "Or post it with fetch", fetchSnippet(form, origin));
  files.addEventListener("change", () => {
    html.querySelector("pre").textContent = htmlSnippet(form, origin, { files: files.checked });
  });
  return h("details", { class: "panel onboarding", id: "onboarding", open },
    h("summary", {}, h("strong", {}, "Add it to your site")),
    h("p", {}, "Paste this form into any page. It posts to ", h("code", {}, `${origin}/f/${form.id}`),
      form.honeypot_field ? [" and carries a hidden spam trap (", h("code", {}, form.honeypot_field), ")"] : null, "."),
    h("label", { class: "inline", for: "snippet-files" }, files, "The form uploads files (multipart)"),
    html, script);
}
