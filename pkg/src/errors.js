// The package's error classes, shared by the verifiers, the dedupe stores and the adapters.

/** Thrown when a webhook fails verification; `code` is stable, `message` matches standardwebhooks'. */
export class WebhookVerificationError extends Error {
  constructor(message, code = "verification_failed") {
    super(message);
    this.name = "WebhookVerificationError";
    this.code = code;
  }
}

/** Thrown for misuse: a bad secret, an unknown scheme, a payload of the wrong type. */
export class FormhookError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "FormhookError";
    this.code = code;
  }
}
