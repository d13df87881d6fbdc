import { z } from "zod";
import type { GatewayKit } from "../app.ts";
import type { AuditLog } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { parseParam, parseQuery } from "../validate.ts";

/** An event the projector could not apply, parked with the error (see `storage/projector.ts`). */
export interface ParkedEvent {
  seq: number;
  subject: string;
  error: string;
  parkedAt: string;
  attempts: number;
  lastAttemptAt: string;
}

/** The projector's dead-letter list. */
export interface ParkedEventList {
  list(opts: { limit: number; after?: number }): Promise<ParkedEvent[]>;
  /**
   * `superseded`: applied, except to the read models in `skipped`, which already hold the newer state of
   * a later event of the same entity (`laterSeq`); `still-failing` with the error; `not-parked`.
   */
  retry(seq: number): Promise<{
    outcome: "applied" | "superseded" | "still-failing" | "not-parked";
    error?: string;
    skipped?: string[];
    laterSeq?: number;
  }>;
}

export interface ProjectorRouteDeps {
  parked: ParkedEventList;
  audit: AuditLog;
}

const seqSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const parkedQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: seqSchema.optional(),
  })
  .strict();
const parkedSchema = z.object({
  seq: z.number().int(),
  subject: z.string(),
  error: z.string(),
  parkedAt: z.string(),
  attempts: z.number().int(),
  lastAttemptAt: z.string(),
});

/** Operations on the projector: list the events it parked, retry one once its cause is fixed. */
export function projectorRoutes(deps: ProjectorRouteDeps) {
  return ({ define, meta }: GatewayKit) => {
    define(
      {
        method: "get",
        path: "/v1/ops/projector/parked",
        summary: "Events the projector could not apply (dead letters), oldest first (cursor = last seq)",
        tag: "Operations",
        permission: "ops:read",
        query: parkedQuery,
        response: {
          status: 200,
          schema: z.object({ items: z.array(parkedSchema), nextCursor: z.number().int().nullable() }),
          description: "{ items, nextCursor }",
        },
      },
      async (c) => {
        const q = parseQuery(c, parkedQuery);
        const items = await deps.parked.list({ limit: q.limit, ...(q.cursor ? { after: q.cursor } : {}) });
        return c.json({ items, nextCursor: items.length === q.limit ? (items.at(-1)?.seq ?? null) : null });
      },
    );
    define(
      {
        method: "post",
        path: "/v1/ops/projector/parked/:seq/retry",
        summary: "Apply a parked event to the read models again; removed from the list when it succeeds",
        tag: "Operations",
        permission: "ops:write",
        response: {
          status: 200,
          schema: z.strictObject({
            seq: z.number().int(),
            outcome: z.enum(["applied", "superseded"]),
            skipped: z.array(z.string()).optional(),
            laterSeq: z.number().int().optional(),
          }),
          description:
            "Removed from the parked list. applied: every read model applied it; superseded: applied except to the read models in skipped, which already show a later event of the same entity (laterSeq)",
        },
        responses: [
          { status: 404, description: "not-found: no parked event with this sequence" },
          { status: 409, description: "conflict: the projections still refuse it (error recorded)" },
        ],
      },
      async (c) => {
        const seq = parseParam(c.req.param("seq"), seqSchema, "seq");
        const result = await deps.parked.retry(seq);
        const { by, requestId } = meta(c);
        await deps.audit.record({
          principal: by,
          action: "projector.retry",
          target: `projector/parked/${seq}`,
          requestId,
          detail: {
            outcome: result.outcome,
            ...(result.error ? { error: result.error } : {}),
            ...(result.skipped ? { skipped: result.skipped, laterSeq: result.laterSeq } : {}),
          },
        });
        if (result.outcome === "not-parked")
          throw new ProblemError(404, "not-found", `no parked event with sequence ${seq}`);
        if (result.outcome === "still-failing")
          throw new ProblemError(409, "conflict", `event ${seq} still cannot be applied: ${result.error}`, {
            seq,
          });
        const { outcome, skipped, laterSeq } = result;
        return c.json({ seq, outcome, ...(skipped ? { skipped, laterSeq } : {}) });
      },
    );
  };
}
