import type { Context } from "hono";
import type { GatewayKit } from "../app.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { AuditLog } from "../ports.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseParam } from "../validate.ts";

/**
 * What every CMS page route module needs: the page's slug parameter, a command id (idempotent when the
 * client sent a key, fingerprinted by the request), and the page's audit row.
 */
export function cmsPageHelpers(kit: GatewayKit, auditLog: AuditLog) {
  return {
    slugOf: (c: Context) => parseParam(c.req.param("slug"), codeSchema, "slug"),
    commandId: (c: Context, operation: string, body: unknown) => {
      const key = idempotencyKey(c, false);
      return key ? idempotentCommand(c, operation, key, body) : { id: `${operation}:${crypto.randomUUID()}` };
    },
    audit: (c: Context, action: string, slug: string, detail: Record<string, unknown>) =>
      auditLog.record({
        principal: kit.meta(c).by ?? "anonymous",
        action,
        target: `cms-page/${slug}`,
        requestId: kit.requestId(c),
        detail,
      }),
  };
}
