// The package's public names, re-exported by every entry point. Internals shared between the
// modules (header reading, the verify-then-dedupe pipeline) stay out of it.
export {
  FormhookError,
  Webhook,
  WebhookVerificationError,
  createVerifier,
  expressVerifier,
  generateKeyPair,
  generateSecret,
  listSchemes,
  setBackend,
  setEd25519Backend,
  sign,
  toBytes,
  verify,
  verifyRequest,
} from "./api.js";
export {
  DEFAULT_DEDUPE_LEASE,
  DEFAULT_DEDUPE_TTL,
  DedupeDurableObject,
  WebhookDuplicateError,
  WebhookInProgressError,
  durableObjectStore,
  kvStore,
  memoryStore,
  redisStore,
} from "./dedupe.js";
export { fastifyVerifier, honoVerifier, koaVerifier, nextPagesVerifier, verifyNodeRequest } from "./adapters.js";
