// Shared by the adapter consumers: sends a server a signed delivery, the same delivery again, a
// tampered copy, and 20 parallel copies of a new delivery (spread over `urls` when several
// servers share one store); throws unless each gets its answer. Copies of an id still being
// handled get 409 `duplicate_in_progress` with Retry-After and are sent again, as a sender would.
import { Webhook } from "formhook";

export async function checkReceiver(urls, secret, name) {
  const all = [urls].flat();
  const url = all[0];
  const wh = new Webhook(secret);
  const send = async (id, body, to = url) => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": wh.sign(id, ts, body) };
    const response = await fetch(to, { method: "POST", body, headers });
    return { headers, status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.json() };
  };
  const fail = (what, status, body) => {
    throw new Error(`${name}: ${what}: ${status} ${JSON.stringify(body)}`);
  };
  const inProgress = (a) => a.status === 409 && a.body.error?.code === "duplicate_in_progress" && a.retryAfter !== null && Number(a.retryAfter) > 0;
  // Express and Fastify mark an id handled when the response closes, just after the client has
  // the answer: an immediate repeat may still find it in progress, and is sent again.
  const sendUntilAnswered = async (id, body) => {
    for (let attempt = 0; ; attempt++) {
      const answer = await send(id, body);
      if (!inProgress(answer) || attempt === 100) return answer;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const body = JSON.stringify({ type: "form.submission.created" });

  const good = await send(`msg_${name}_1`, body);
  if (good.status !== 200 || good.body.type !== "form.submission.created") fail("signed delivery", good.status, good.body);

  const again = await sendUntilAnswered(`msg_${name}_1`, body);
  if (again.status !== 200 || again.body.duplicate !== true || again.body.id !== `msg_${name}_1`) fail("repeated delivery", again.status, again.body);

  const bad = await fetch(url, { method: "POST", body: body.replace("created", "deleted"), headers: { ...good.headers, "webhook-id": `msg_${name}_2` } });
  const badBody = await bad.json();
  if (bad.status !== 400 || badBody.error?.code !== "no_matching_signature") fail("tampered delivery", bad.status, badBody);

  // The handlers here answer at once, so a copy finds the id either in progress (409) or handled
  // (200 duplicate); the slow-handler case (every other copy 409) is tested in pkg/test.
  const parallel = await Promise.all(Array.from({ length: 20 }, (_, i) => send(`msg_${name}_3`, body, all[i % all.length])));
  const handled = parallel.filter((a) => a.status === 200 && a.body.type === "form.submission.created").length;
  const others = parallel.filter((a) => inProgress(a) || (a.status === 200 && a.body.duplicate === true)).length;
  if (handled !== 1 || others !== 19) fail("20 parallel copies", handled, parallel);
  const after = await sendUntilAnswered(`msg_${name}_3`, body);
  if (after.status !== 200 || after.body.duplicate !== true) fail("a copy after success", after.status, after.body);
}
