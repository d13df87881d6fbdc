/**
 * Errors that cross the actor boundary. Domain code throws `DomainError` with one of a small closed
 * set of kinds; the runtime adds its own transport kinds. Actors never know HTTP: the gateway maps
 * kinds to status codes in one place.
 */

export const DOMAIN_ERROR_KINDS = [
  "not_found",
  "conflict",
  "invalid",
  "insufficient_stock",
  "forbidden",
  /** A command id (idempotency key) reused for a different request: refused, never replayed. */
  "idempotency_key_reused",
] as const;
export type DomainErrorKind = (typeof DOMAIN_ERROR_KINDS)[number];

/**
 * Raised by the runtime; every one of these is safe to retry with the same command id. `storage_full`:
 * the event log refused the append because its size limit (or JetStream's store) is reached.
 */
export const RUNTIME_ERROR_KINDS = ["overloaded", "unavailable", "moved", "timeout", "storage_full"] as const;
export type RuntimeErrorKind = (typeof RUNTIME_ERROR_KINDS)[number];

export type ErrorKind = DomainErrorKind | RuntimeErrorKind;

export interface ErrorBody {
  kind: ErrorKind;
  message: string;
  /** Machine-readable facts about the failure (e.g. `{ field, requested, sellable }`). */
  details?: Record<string, unknown>;
  /** For runtime errors: how long the caller should wait before retrying. */
  retryAfterMs?: number;
}

/** A decision refused by the domain: nothing was changed. */
export class DomainError extends Error {
  readonly kind: DomainErrorKind;
  readonly details: Record<string, unknown> | undefined;
  constructor(kind: DomainErrorKind, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "DomainError";
    this.kind = kind;
    this.details = details;
  }
  toBody(): ErrorBody {
    return { kind: this.kind, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** The runtime could not run the command now; the same command id may be retried. */
export class RuntimeError extends Error {
  readonly kind: RuntimeErrorKind;
  readonly retryAfterMs: number | undefined;
  constructor(kind: RuntimeErrorKind, message: string, retryAfterMs?: number) {
    super(message);
    this.name = "RuntimeError";
    this.kind = kind;
    this.retryAfterMs = retryAfterMs;
  }
  toBody(): ErrorBody {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
    };
  }
}

export function isRetryable(kind: ErrorKind): boolean {
  return (RUNTIME_ERROR_KINDS as readonly string[]).includes(kind);
}

/** Rebuilds a typed error from the wire so callers can `instanceof` it. */
export function errorFromBody(body: ErrorBody): DomainError | RuntimeError {
  if (isRetryable(body.kind)) {
    return new RuntimeError(body.kind as RuntimeErrorKind, body.message, body.retryAfterMs);
  }
  return new DomainError(body.kind as DomainErrorKind, body.message, body.details);
}
