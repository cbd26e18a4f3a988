// Next.js App Router route handler (Node runtime).
import { verifyRequest } from "formhook";

export async function POST(request) {
  try {
    const { data } = await verifyRequest(request, "standard-webhooks", [process.env.WEBHOOK_SECRET]);
    return Response.json({ ok: true, type: data.type });
  } catch (e) {
    return Response.json({ error: e.code }, { status: 401 });
  }
}
