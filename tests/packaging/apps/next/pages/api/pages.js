// Next.js Pages Router API route: the body parser is off, so the bytes stay as they were signed.
import { verifyNodeRequest } from "formhook";

export const config = { api: { bodyParser: false } };

export default async function handler(req, res) {
  try {
    const { data } = await verifyNodeRequest(req, "standard-webhooks", [process.env.WEBHOOK_SECRET]);
    res.status(200).json({ ok: true, type: data.type });
  } catch (e) {
    res.status(401).json({ error: e.code });
  }
}
