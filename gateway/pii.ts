import type { Context } from "hono";
import {
  maskPii,
  type PiiSubject,
  type PiiView,
  piiView,
  unmaskedFields,
} from "../actors/permissions/index.ts";
import { can, principalOf } from "./auth.ts";
import type { AuditLog } from "./ports.ts";

/** The caller's view of one subject's personal data (decision 0037). */
export function callerView(c: Context, subject: PiiSubject): PiiView {
  const principal = principalOf(c);
  return piiView((permission) => can(principal, permission), subject);
}

/** Requests that already wrote their `pii.read` row (a request reads, and is audited, once). */
const audited = new WeakSet<Request>();

/**
 * `value` as the caller may see it (the masking policy), and, when it holds any personal data unmasked,
 * one `pii.read` audit row for the request: who, which entity (or entities), which field types.
 *
 * @example c.json(await revealTo(c, audit, "customer", `order/${id}`, order))
 */
export async function revealTo<T>(
  c: Context,
  audit: AuditLog,
  subject: PiiSubject,
  target: string | readonly string[],
  value: T,
): Promise<T> {
  const view = callerView(c, subject);
  if (view.fields.size === 0 && !view.contactName) return maskPii(value, view);
  const fields = unmaskedFields(value, view);
  if (fields.length > 0 && !audited.has(c.req.raw)) {
    audited.add(c.req.raw);
    const targets = typeof target === "string" ? [target] : target;
    await audit.record({
      principal: principalOf(c).username,
      action: "pii.read",
      target: targets.length === 1 ? targets[0]! : `${targets[0]?.split("/")[0] ?? "entity"}/*`,
      requestId: c.get("requestId" as never) as string,
      detail: {
        fields,
        path: c.req.path,
        ...(targets.length > 1 ? { entities: targets.slice(0, 1_000), count: targets.length } : {}),
      },
    });
  }
  return maskPii(value, view);
}
