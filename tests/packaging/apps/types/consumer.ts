// Type-checks the public API as a TypeScript consumer sees it.
import { Webhook, WebhookVerificationError, verify, sign, type VerificationErrorCode, type SchemeName } from "formhook";

const wh: Webhook = new Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
const signature: string = wh.sign("msg_1", new Date(), new Uint8Array([1, 2, 3]));
const scheme: SchemeName = "github";
const headers = sign(scheme, ["secret"], { payload: "x" });
const ok: true = verify(scheme, ["secret"], "x", headers);
try {
  wh.verify("{}", { "webhook-id": "a", "webhook-timestamp": "1", "webhook-signature": signature });
} catch (e) {
  if (e instanceof WebhookVerificationError) {
    const code: VerificationErrorCode | string = e.code;
    console.log(code, ok);
  }
}
// @ts-expect-error: the scheme name is checked
verify("md5", ["secret"], "x", headers);
// @ts-expect-error: a number is not a payload
wh.verify(42, {});

// Standard Webhooks v1a: the ed25519 entry has the same types.
import { generateKeyPair, Webhook as Ed25519Webhook, type KeyPair } from "formhook/ed25519";
const pair: KeyPair = generateKeyPair();
const v1a: string = new Ed25519Webhook(pair.secretKey).sign("msg_1", 1, "{}");
new Ed25519Webhook([pair.publicKey, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]).verify("{}", { "webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": v1a });

// Receivers: dedupe stores and adapters.
import {
  DEFAULT_DEDUPE_LEASE,
  DEFAULT_DEDUPE_TTL,
  WebhookDuplicateError,
  WebhookInProgressError,
  memoryStore,
  redisStore,
  kvStore,
  verifyRequest,
  verifyNodeRequest,
  expressVerifier,
  honoVerifier,
  koaVerifier,
  nextPagesVerifier,
  fastifyVerifier,
  type ClaimState,
  type DedupeStore,
  type LegacyDedupeStore,
  type Received,
} from "formhook";

const memory = memoryStore({ max: 1000 });
const state: ClaimState = memory.claim("msg_1", DEFAULT_DEDUPE_LEASE, "token");
memory.complete("msg_1", DEFAULT_DEDUPE_TTL);
memory.release("msg_1", "token");
const first: boolean = memory.seen("msg_1", DEFAULT_DEDUPE_TTL);
const held = new Map<string, string>();
const custom: DedupeStore = {
  claim: async (id: string, lease: number, token: string) => (held.has(id) ? "in_progress" : (held.set(id, token + lease), "claimed")),
  complete: (id: string) => void held.set(id, "done"),
  release: (id: string, token: string) => void (held.get(id)?.startsWith(token) && held.delete(id)),
};
const legacy: LegacyDedupeStore = { seen: async (id: string, ttl: number) => id.length > ttl };
const redis = redisStore({ sendCommand: async (args: string[]) => args.length }, { prefix: "x:" });
const ioredis = redisStore({ call: async (command: string, ...args: string[]) => command + args.join() });
async function receive(request: Request): Promise<string | Response | undefined> {
  try {
    const received: Received = await verifyRequest(request, "standard-webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", { dedupe: { store: custom, ttl: 3600, lease: 30 } });
    await received.complete?.();
    await received.release?.();
    return received.id;
  } catch (e) {
    if (e instanceof WebhookDuplicateError) {
      const code: "duplicate" = e.code;
      return e.id + code;
    }
    if (e instanceof WebhookInProgressError) {
      const code: "duplicate_in_progress" = e.code;
      return new Response(code, { status: 409, headers: { "retry-after": String(e.retryAfter) } });
    }
    throw e;
  }
}
void receive;
void verifyNodeRequest;
expressVerifier(wh, { dedupe: memory });
expressVerifier(wh, { dedupe: legacy });
honoVerifier("github", "secret", { dedupe: redis, limit: 1024 });
koaVerifier("standard-webhooks", ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], { dedupe: ioredis });
nextPagesVerifier("github", "secret")((req, res) => res.end());
void fastifyVerifier;
void kvStore;
console.log(first, state);
// @ts-expect-error: a store needs claim/complete/release (or the deprecated seen)
expressVerifier("github", "secret", { dedupe: { forget: () => {} } });
// @ts-expect-error: claim answers one of the three states
const wrong: DedupeStore = { claim: () => true, complete: () => {}, release: () => {} };
void wrong;
