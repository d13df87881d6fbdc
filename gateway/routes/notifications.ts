import { z } from "zod";
import { SEVERITIES } from "../../actors/notification/index.ts";
import type { GatewayKit } from "../app.ts";
import { principalOf } from "../auth.ts";
import { pagedRead } from "../cursor.ts";
import type { NotificationCenter } from "../notification-ports.ts";
import { ProblemError } from "../problem.ts";
import { pageQuery } from "../schemas.ts";
import { parseParam, parseQuery } from "../validate.ts";

const idParam = z.string().regex(/^ntf_[0-9a-f]{24}$/, "a notification id (ntf_ and 24 hex digits)");
const listQuery = pageQuery.extend({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  severity: z.enum(SEVERITIES).optional(),
  acknowledged: z.enum(["true", "false"]).optional(),
  kind: z
    .string()
    .regex(/^[a-z][A-Za-z0-9]{0,39}$/)
    .optional(),
});

export const notificationSchema = z.object({
  id: z.string(),
  kind: z
    .string()
    .describe("e.g. lowStock, lateShipment, reconciliationDifferences, projectorParked, jobFailed"),
  severity: z.enum(SEVERITIES),
  source: z.string().describe("The module that raised it"),
  subject: z.object({ kind: z.string(), id: z.string() }).nullable(),
  message: z.string(),
  key: z.string().describe("Deduplication key: one notification per key"),
  raisedAt: z.string(),
  acknowledged: z.object({ by: z.string(), at: z.string() }).nullable(),
});
const pageSchema = z.object({ items: z.array(notificationSchema), nextCursor: z.string().nullable() });

/** Operator notifications (decision 0030): list with filters, one, acknowledge. */
export function notificationRoutes(deps: { notifications: NotificationCenter }) {
  return ({ define, requestId }: GatewayKit) => {
    define(
      {
        method: "get",
        path: "/v1/notifications",
        summary:
          "Notifications, newest first, filtered by severity, acknowledged and kind (may lag a second)",
        tag: "Notifications",
        permission: "notification:read",
        query: listQuery,
        response: { status: 200, schema: pageSchema, description: "A page of notifications" },
      },
      async (c) => {
        const q = parseQuery(c, listQuery);
        return c.json(
          await pagedRead(() =>
            deps.notifications.list({
              limit: q.limit,
              ...(q.cursor ? { cursor: q.cursor } : {}),
              ...(q.severity ? { severity: q.severity } : {}),
              ...(q.kind ? { kind: q.kind } : {}),
              ...(q.acknowledged ? { acknowledged: q.acknowledged === "true" } : {}),
            }),
          ),
        );
      },
    );
    define(
      {
        method: "get",
        path: "/v1/notifications/:id",
        summary: "One notification",
        tag: "Notifications",
        permission: "notification:read",
        response: { status: 200, schema: notificationSchema, description: "The notification" },
      },
      async (c) => {
        const id = parseParam(c.req.param("id"), idParam, "id");
        const found = await deps.notifications.get(id);
        if (!found) throw new ProblemError(404, "not-found", `no notification ${id}`);
        return c.json(found);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/notifications/:id/ack",
        summary:
          "Acknowledge a notification (who and when are kept; a repeat returns the first acknowledgement)",
        tag: "Notifications",
        permission: "notification:ack",
        response: { status: 200, schema: notificationSchema, description: "The notification, acknowledged" },
      },
      async (c) => {
        const id = parseParam(c.req.param("id"), idParam, "id");
        const result = await deps.notifications.acknowledge(id, {
          principal: principalOf(c).username,
          requestId: requestId(c),
        });
        if (!result) throw new ProblemError(404, "not-found", `no notification ${id}`);
        return c.json(result.record);
      },
    );
  };
}
