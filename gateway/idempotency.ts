import { createHash } from "node:crypto";
import type { Context } from "hono";
import { principalOf } from "./auth.ts";
import { idempotencyKey } from "./validate.ts";

/** What an actor command needs to be effectively once per caller and request (decision 0003). */
export interface IdempotentCommand {
  /** `<operation>:<principal>:<key>`: two callers never share a key, however they name it. */
  id: string;
  /** Hash of method, path and canonical body: the actor refuses the id for any other request. */
  fingerprint: string;
}

/**
 * The command id and request fingerprint for a write sent with `Idempotency-Key: key`. `body` is the
 * validated body (after defaults and trimming), so key order and whitespace never make two equal
 * requests look different; any other difference is a different request and answers 422
 * `idempotency-key-reused` instead of silently replaying the first answer.
 */
export function idempotentCommand(
  c: Context,
  operation: string,
  key: string,
  body: unknown,
): IdempotentCommand {
  const principal = principalOf(c)?.username ?? "anonymous";
  return {
    id: `${operation}:${principal}:${key}`,
    fingerprint: requestFingerprint(c.req.method, c.req.path, body),
  };
}

/**
 * For a write whose `Idempotency-Key` is optional: reads (and checks) the header now, before the body,
 * and gives the command options once the body is known — with a key, its id and the request's
 * fingerprint (`idempotentCommand`); without one, a fresh id (a repeat is a new request).
 *
 * @example
 * const idempotency = optionalIdempotency(c);
 * const body = await parseBody(c, s.adjustmentBody);
 * await kit.command(c, "sku", sku, { type: "adjust", ...body }, idempotency("adjust", body));
 */
export function optionalIdempotency(c: Context): (operation: string, body: unknown) => { id: string } {
  const key = idempotencyKey(c, false);
  return (operation, body) =>
    key ? idempotentCommand(c, operation, key, body) : { id: `${operation}:${crypto.randomUUID()}` };
}

/**
 * A fingerprint of the request and of who sent it, for operations keyed by a name in the body rather
 * than by an `Idempotency-Key` (a hold's `orderId`): the actor keeps it with what the name stands for.
 */
export function callerFingerprint(c: Context, body: unknown): string {
  const principal = principalOf(c)?.username ?? "anonymous";
  return requestFingerprint(c.req.method, c.req.path, { by: principal, body });
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify([method.toUpperCase(), path, canonical(body ?? null)]))
    .digest("base64url");
}

/** JSON with object keys sorted at every depth (arrays keep their order: it is meaningful). */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    const sorted = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) {
      const field = (value as Record<string, unknown>)[key];
      if (field !== undefined) sorted[key] = canonical(field);
    }
    return sorted;
  }
  return value;
}
