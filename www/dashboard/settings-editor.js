// Settings editors built from the API's own JSON Schema (FormFields, EndpointFields in
// /api/openapi.json): every setting the API accepts gets a control, including settings added
// after this page was written. A PATCH carries only the fields that changed.
import { h } from "../lib/api.js";

/** `{$ref}` → its schema; `anyOf/oneOf [X, null]` → X; `type: [t, "null"]` → t. */
function resolve(schema, root) {
  let s = schema ?? {};
  for (let i = 0; i < 8 && s.$ref; i++) s = root[s.$ref.split("/").pop()] ?? {};
  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    const real = alts.filter((a) => a.type !== "null");
    if (real.length === 1) return { ...resolve(real[0], root), description: s.description ?? real[0].description, nullable: true };
  }
  if (Array.isArray(s.type)) {
    const real = s.type.filter((t) => t !== "null");
    return { ...s, type: real.length === 1 ? real[0] : real, nullable: s.type.includes("null") };
  }
  return s;
}

/** What kind of control a property gets. */
function kindOf(s, root) {
  if (s.enum && (s.type === "string" || s.type === undefined)) return "enum";
  if (s.type === "boolean") return "boolean";
  if (s.type === "integer" || s.type === "number") return "number";
  if (s.type === "string") return "text";
  if (s.type === "array") {
    const items = resolve(s.items, root);
    if (items.enum) return "checkboxes";
    if (items.type === "string") return "lines";
    if (items.type === "integer" || items.type === "number") return "numbers";
    return "json";
  }
  if (s.type === "object" && !s.properties && resolve(s.additionalProperties, root).type === "string") return "headers";
  if (s.oneOf || s.anyOf) return "choice";
  return "json";
}

const WORDS = { url: "URL", ms: "(ms)", ip: "IP", ttl: "TTL", id: "id", fifo: "FIFO", csv: "CSV" };

/** `timeout_ms` → "Timeout (ms)", `redirect_url` → "Redirect URL", `max_body_bytes` → "Max body (bytes)". */
export function humanise(name) {
  const words = name.split("_").map((w, i) => {
    if (["bytes", "seconds", "days", "minutes"].includes(w) && i > 0) return `(${w})`;
    return WORDS[w] ?? w;
  });
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A choice schema (`"standard"` or a list of numbers) as text: the name, or numbers with commas. */
function choiceText(value) {
  if (Array.isArray(value)) return value.join(", ");
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function choiceValue(text) {
  const t = text.trim();
  if (t === "") return null;
  if (/^[\d\s,]+$/.test(t)) return t.split(",").map((x) => Number(x.trim())).filter((n) => Number.isFinite(n));
  if (/^[[{"]/.test(t)) return JSON.parse(t);
  return t;
}

/**
 * One setting's control: `{element, read}`, `read()` giving the value to send. An object with
 * its own properties (a nested group of settings) becomes a fieldset of controls, recursively.
 */
function control(schemas, cid, name, raw, current, depth = 0) {
  const s = resolve(raw, schemas);
  const kind = s.type === "object" && s.properties && depth < 3 ? "object" : kindOf(s, schemas);
  const help = s.description ? h("small", { class: "muted help", id: `${cid}-help` }, s.description.replace(/\s*\n\s*/g, " ")) : null;
  const described = help ? `${cid}-help` : undefined;
  const label = humanise(name);
  if (kind === "object") {
    const parts = Object.entries(s.properties).map(([sub, subRaw]) => [sub, control(schemas, `${cid}-${sub}`, sub, subRaw, current?.[sub], depth + 1)]);
    const read = () => {
      const out = {};
      for (const [sub, c] of parts) {
        const v = c.read();
        if (v !== null && v !== undefined) out[sub] = v;
      }
      return Object.keys(out).length || !s.nullable ? out : null;
    };
    return { read, element: h("fieldset", { class: "setting group", id: cid, "aria-describedby": described }, h("legend", {}, label), help, h("div", { class: "grid" }, parts.map(([, c]) => c.element))) };
  }
  if (kind === "boolean") {
    const box = h("input", { type: "checkbox", id: cid, name, checked: current === true, "aria-describedby": described });
    return { read: () => box.checked, element: h("div", { class: "setting" }, h("label", { class: "inline", for: cid }, box, label), help) };
  }
  if (kind === "checkboxes") {
    const options = resolve(s.items, schemas).enum;
    const boxes = options.map((opt, i) => h("input", { type: "checkbox", id: `${cid}-${i}`, value: opt, checked: Array.isArray(current) && (current.includes(opt) || current.includes("*")) }));
    const read = () => {
      const picked = boxes.filter((b) => b.checked).map((b) => b.value);
      return picked.includes("*") ? ["*"] : picked;
    };
    return { read, element: h("fieldset", { class: "setting", "aria-describedby": described }, h("legend", {}, label), boxes.map((b, i) => h("label", { class: "inline", for: b.id }, b, options[i])), help) };
  }
  let input;
  let read;
  if (kind === "enum") {
    input = h("select", { id: cid, name, "aria-describedby": described },
      s.nullable || current === undefined ? h("option", { value: "" }, "(not set)") : null,
      s.enum.map((opt) => h("option", { value: opt, selected: current === opt }, opt)));
    read = () => input.value || null;
  } else if (kind === "number") {
    input = h("input", { type: "number", id: cid, name, value: current ?? "", min: s.minimum, max: s.maximum, step: s.type === "integer" ? "1" : "any", "aria-describedby": described });
    read = () => (input.value.trim() === "" ? null : Number(input.value));
  } else if (kind === "text") {
    input = h("input", { type: "text", id: cid, name, value: current ?? "", autocomplete: "off", "aria-describedby": described });
    // Empty text means "none" where the API documents null for it, else the empty string.
    const nullMeansNone = /`null`/.test(s.description ?? "") || (current === undefined && s.nullable);
    read = () => (input.value === "" && nullMeansNone ? null : input.value);
  } else if (kind === "lines" || kind === "numbers") {
    input = h("textarea", { id: cid, name, rows: "3", "aria-describedby": described }, Array.isArray(current) ? current.join("\n") : "");
    read = () => {
      const items = input.value.split(/\r?\n/).map((x) => x.trim()).filter(Boolean);
      return kind === "numbers" ? items.map(Number) : items;
    };
  } else if (kind === "headers") {
    input = h("textarea", { id: cid, name, rows: "3", "aria-describedby": described }, Object.entries(current ?? {}).map(([k, v]) => `${k}: ${v}`).join("\n"));
    read = () => {
      const out = {};
      for (const line of input.value.split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      return out;
    };
  } else if (kind === "choice") {
    input = h("input", { type: "text", id: cid, name, value: choiceText(current), autocomplete: "off", "aria-describedby": described });
    read = () => choiceValue(input.value);
  } else {
    input = h("textarea", { id: cid, name, rows: "3", "aria-describedby": described }, current === undefined ? "" : JSON.stringify(current, null, 1));
    read = () => {
      try {
        return input.value.trim() === "" ? null : JSON.parse(input.value);
      } catch (err) {
        throw new Error(`${label}: not valid JSON (${err.message})`);
      }
    };
  }
  return { read, element: h("div", { class: "setting" }, h("label", { for: cid }, label), input, help) };
}

/**
 * A form editing every property of `schemaName` (in `schemas`) but `skip`, filled from `values`.
 * `save(changed)` gets only the changed fields; `onError` any error (bad JSON, the API's answer).
 */
export function settingsEditor({ id, title, schemaName, schemas, values, skip = [], submitLabel, save, onError }) {
  const schema = resolve(schemas[schemaName], schemas);
  const controls = Object.entries(schema.properties ?? {})
    .filter(([name]) => !skip.includes(name))
    .map(([name, raw]) => ({ name, ...control(schemas, `${id}-${name}`, name, raw, values[name]) }));
  for (const c of controls) c.initial = JSON.stringify(c.read());
  return h("form", { class: "panel settings", id, onsubmit: async (e) => {
    e.preventDefault();
    try {
      const changed = {};
      for (const c of controls) {
        const value = c.read();
        if (JSON.stringify(value) !== c.initial) changed[c.name] = value;
      }
      await save(changed);
      for (const c of controls) c.initial = JSON.stringify(c.read());
    } catch (err) {
      onError(err);
    }
  } }, title ? h("h2", {}, title) : null, h("div", { class: "grid" }, controls.map((c) => c.element)), h("button", { type: "submit" }, submitLabel));
}
