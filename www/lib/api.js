// The admin API client of the dashboard and demo pages. The token lives in sessionStorage only
// (gone when the tab closes) and is sent as a bearer token.
const KEY = "formhook.adminToken";

export const token = {
  get: () => sessionStorage.getItem(KEY) ?? "",
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, body) {
  const res = await fetch(`/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token.get()}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(res.status, "bad_response", `unexpected answer (${res.status})`);
  }
  if (!res.ok) throw new ApiError(res.status, json.error?.code ?? "error", json.error?.message ?? `HTTP ${res.status}`);
  return json;
}

/** Downloads a file through the API (the token cannot ride on a plain link). */
export async function download(path, filename) {
  const res = await fetch(`/api${path}`, { headers: { authorization: `Bearer ${token.get()}` } });
  if (!res.ok) throw new ApiError(res.status, "download_failed", `download failed (${res.status})`);
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `h("tag", {attrs}, ...children)`: small DOM builder; text is always text, never HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Inline SVG sparkline of attempts, oldest to newest: tall green = delivered, short red = not. */
export function sparkline(attempts, label) {
  const w = 120, hgt = 24, n = Math.max(attempts.length, 1), bw = w / 50;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("width", w);
  svg.setAttribute("height", hgt);
  svg.setAttribute("role", "img");
  const ok = attempts.filter((a) => a.outcome === "delivered").length;
  svg.setAttribute("aria-label", `${label}: ${attempts.length ? Math.round((100 * ok) / attempts.length) : 0}% of the last ${attempts.length} attempts delivered`);
  attempts.forEach((a, i) => {
    const good = a.outcome === "delivered";
    const r = document.createElementNS(ns, "rect");
    r.setAttribute("x", String(w - (n - i) * bw));
    r.setAttribute("width", String(bw - 0.5));
    r.setAttribute("y", good ? "2" : "14");
    r.setAttribute("height", good ? "22" : "10");
    r.setAttribute("fill", good ? "#0a6b2e" : "#a4161a");
    svg.append(r);
  });
  return svg;
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
