// Shared by the adapter consumers: sends a server a signed delivery, the same delivery again, a
// tampered copy, and 20 parallel copies of a new delivery (spread over `urls` when several
// servers share one store); throws unless each gets its answer.
import { Webhook } from "formhook";

export async function checkReceiver(urls, secret, name) {
  const all = [urls].flat();
  const url = all[0];
  const wh = new Webhook(secret);
  const send = async (id, body, to = url) => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": wh.sign(id, ts, body) };
    return { headers, response: await fetch(to, { method: "POST", body, headers }) };
  };
  const fail = (what, status, body) => {
    throw new Error(`${name}: ${what}: ${status} ${JSON.stringify(body)}`);
  };
  const body = JSON.stringify({ type: "form.submission.created" });

  const { headers, response: good } = await send(`msg_${name}_1`, body);
  const goodBody = await good.json();
  if (good.status !== 200 || goodBody.type !== "form.submission.created") fail("signed delivery", good.status, goodBody);

  const { response: again } = await send(`msg_${name}_1`, body);
  const againBody = await again.json();
  if (again.status !== 200 || againBody.duplicate !== true || againBody.id !== `msg_${name}_1`) fail("repeated delivery", again.status, againBody);

  const bad = await fetch(url, { method: "POST", body: body.replace("created", "deleted"), headers: { ...headers, "webhook-id": `msg_${name}_2` } });
  const badBody = await bad.json();
  if (bad.status !== 400 || badBody.error?.code !== "no_matching_signature") fail("tampered delivery", bad.status, badBody);

  const parallel = await Promise.all(Array.from({ length: 20 }, (_, i) => send(`msg_${name}_3`, body, all[i % all.length]).then(async ({ response }) => ({ status: response.status, body: await response.json() }))));
  const handled = parallel.filter((a) => a.status === 200 && a.body.type === "form.submission.created").length;
  const duplicates = parallel.filter((a) => a.status === 200 && a.body.duplicate === true).length;
  if (handled !== 1 || duplicates !== 19) fail("20 parallel copies", handled, parallel);
}
