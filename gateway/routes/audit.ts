import { z } from "zod";
import type { GatewayKit } from "../app.ts";
import type { AuditTrail } from "../audit-ports.ts";
import { principalOf } from "../auth.ts";
import { pagedRead } from "../cursor.ts";
import { revealTo } from "../pii.ts";
import type { AuditLog } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { filterText, instantSchema } from "../schemas.ts";
import { parseBody, parseQuery } from "../validate.ts";

/** The server's cap on one page of the audit list. */
export const AUDIT_PAGE_MAX = 200;

const actionFilter = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,100}\*?$/, "an action such as sku.reserve, or a prefix ending in * (sku.*)");
export const auditQuery = z
  .object({
    actor: filterText(100).optional().describe("Who did it (a username, or `system`)"),
    action: actionFilter.optional().describe("An action (`price.set`), or a prefix ending in `*` (`sku.*`)"),
    entity: filterText(200)
      .optional()
      .describe("What it was done to (`sku/A1`), or a prefix ending in `*` (`sku/*`)"),
    from: instantSchema.optional().describe("At or after this time (ISO 8601)"),
    to: instantSchema.optional().describe("Before this time (ISO 8601)"),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(AUDIT_PAGE_MAX)
      .default(50)
      .describe(`At most ${AUDIT_PAGE_MAX}`),
    cursor: filterText(200).optional(),
  })
  .strict();

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string().describe("When it was written (ISO 8601)"),
  actor: z.string(),
  action: z.string(),
  entity: z.string(),
  requestId: z.string().nullable(),
  before: z.unknown().optional().describe("The state before the change, where the writer recorded it"),
  after: z.unknown().optional().describe("The state after the change, where the writer recorded it"),
  detail: z.record(z.string(), z.unknown()).describe("The rest of what the writer recorded"),
  seq: z
    .number()
    .int()
    .nullable()
    .describe("Its place in the hash chain; null for a second or so after the write, until sealed"),
});
const pageSchema = z.object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() });

const link = z.object({ seq: z.number().int(), hash: z.string() });
export const verificationSchema = z.object({
  ok: z.boolean(),
  rows: z.number().int().describe("Sealed rows verified (before the break, when not ok)"),
  unsealed: z.number().int().describe("Rows written but not sealed yet (not covered)"),
  start: link.describe("Where the kept chain starts: the newest pruning checkpoint, or seq 0 (genesis)"),
  head: link.optional().describe("The last sealed row (when ok)"),
  broken: z
    .object({
      seq: z.number().int(),
      id: z.string().nullable().describe("Null when the row is missing (deleted)"),
      reason: z.enum(["hash-mismatch", "missing"]),
    })
    .optional()
    .describe("The first row where the chain does not hold (when not ok)"),
});

const retentionBody = z
  .object({
    days: z.number().int().min(1).max(36_500).describe("Rows older than this many days are pruned"),
    segmentRows: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(1_000)
      .describe("Pruned in whole segments of this many chain rows"),
  })
  .strict();
export const retentionSchema = z.object({
  days: z.number().int(),
  segmentRows: z.number().int(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  checkpoint: z
    .object({
      throughSeq: z.number().int(),
      hash: z.string(),
      prunedRows: z.number().int(),
      cutoff: z.string(),
      at: z.string(),
    })
    .nullable()
    .describe("The newest pruning checkpoint: the kept chain starts after throughSeq, from hash"),
});

/** The audit log you can read (issue 14, decision 0035): list, chain verification, retention. */
export function auditRoutes(deps: { auditTrail: AuditTrail; audit: AuditLog }) {
  return ({ define, requestId }: GatewayKit) => {
    define(
      {
        method: "get",
        path: "/v1/audit",
        summary:
          "Audit rows, newest first, filtered by actor, action, entity and time; personal data masked by the masking policy",
        tag: "Audit",
        permission: "audit:read",
        query: auditQuery,
        response: { status: 200, schema: pageSchema, description: "A page of audit rows" },
      },
      async (c) => {
        const q = parseQuery(c, auditQuery);
        if (q.from && q.to && q.from > q.to)
          throw new ProblemError(400, "validation", "to: must not be before from", { field: "to" });
        const page = await pagedRead(() =>
          deps.auditTrail.list({
            limit: q.limit,
            ...(q.cursor ? { cursor: q.cursor } : {}),
            ...(q.actor ? { actor: q.actor } : {}),
            ...(q.action ? { action: q.action } : {}),
            ...(q.entity ? { entity: q.entity } : {}),
            ...(q.from ? { from: q.from } : {}),
            ...(q.to ? { to: q.to } : {}),
          }),
        );
        // The masking policy (decision 0037) as for any customer data; a page showing any of it unmasked
        // writes one `pii.read` row naming the audit rows (issue 14: reads of unmasked PII are audited).
        const items = await revealTo(
          c,
          deps.audit,
          "customer",
          page.items.map((i) => `audit/${i.id}`),
          page.items,
        );
        return c.json({ items, nextCursor: page.nextCursor });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/audit/verify",
        summary:
          "Recompute the hash chain of the sealed audit rows: ok with the row count, or the first row that breaks it",
        tag: "Audit",
        permission: "audit:read",
        response: { status: 200, schema: verificationSchema, description: "The verification" },
      },
      async (c) => c.json(await deps.auditTrail.verify()),
    );
    define(
      {
        method: "get",
        path: "/v1/audit/retention",
        summary: "The retention policy and the newest pruning checkpoint",
        tag: "Audit",
        permission: "audit:read",
        response: { status: 200, schema: retentionSchema, description: "The policy" },
      },
      async (c) => c.json(await deps.auditTrail.retention()),
    );
    define(
      {
        method: "put",
        path: "/v1/audit/retention",
        summary:
          "Change the retention policy (pruned daily by the audit-retention job, in whole chain segments)",
        tag: "Audit",
        permission: "audit:configure",
        body: retentionBody,
        response: { status: 200, schema: retentionSchema, description: "The policy now in force" },
      },
      async (c) => {
        const body = await parseBody(c, retentionBody);
        return c.json(
          await deps.auditTrail.setRetention(body, { by: principalOf(c).username, requestId: requestId(c) }),
        );
      },
    );
  };
}
