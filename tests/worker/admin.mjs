// The admin API as the end-to-end tests call it: one client, shared by every test file.

/**
 * A function `api(method, path, body?, headers?)` calling `${base()}${path}` with the admin
 * token. `base` is read on each call (the worker starts in a `before` hook). A string body is
 * sent as it is, anything else as JSON. Resolves with `{status, text, json, headers}`; `json` is
 * `undefined` when the answer is empty or not JSON. `record`, if given, sees every answer (tests
 * that search all responses for a secret or a marker).
 */
export function adminApi(base, token, { record } = {}) {
  return async function api(method, path, body, headers = {}) {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    record?.({ method, path, status: res.status, text, headers: [...res.headers].join("\n") });
    return { status: res.status, text, json, headers: res.headers };
  };
}
