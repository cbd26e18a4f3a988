// The same handler on the Edge runtime.
import { verifyRequest } from "formhook";

export const runtime = "edge";

export async function POST(request) {
  try {
    const { data } = await verifyRequest(request, "standard-webhooks", [process.env.WEBHOOK_SECRET]);
    return Response.json({ ok: true, type: data.type, runtime: "edge" });
  } catch (e) {
    return Response.json({ error: e.code }, { status: 401 });
  }
}
