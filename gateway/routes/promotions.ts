import type { Context } from "hono";
import type { GatewayKit } from "../app.ts";
import { pagedRead } from "../cursor.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { PromotionStore } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import {
  promotionBody,
  promotionListQuery,
  promotionPage,
  promotionSchema,
  promotionView,
} from "./promotion-schemas.ts";

export interface PromotionRouteDeps {
  promotions: PromotionStore;
}

/** Promotions (满减, 满折, 每满减, 第N件, 一口价, 赠品, 包邮): create, list, read, end early. decision 0021. */
export function promotionRoutes(deps: PromotionRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, meta } = kit;
    const promotionId = (c: Context) => parseParam(c.req.param("promotionId"), codeSchema, "promotionId");

    define(
      {
        method: "post",
        path: "/v1/promotions",
        summary:
          "Create a promotion: type + rules, scope, conditions, time window, slots, weekdays, stacking",
        tag: "Promotions",
        permission: "promotion:write",
        body: promotionBody,
        idempotencyKey: "optional",
        response: {
          status: 201,
          schema: promotionSchema,
          description: "Created; status active when startsAt has passed (applies to the very next quote)",
        },
      },
      async (c) => {
        const key = idempotencyKey(c, false);
        const body = await parseBody(c, promotionBody);
        const now = Date.now();
        const [startsAt, endsAt] = [body.startsAt.getTime(), body.endsAt.getTime()];
        if (endsAt <= startsAt)
          throw new ProblemError(422, "validation", "endsAt must be after startsAt ([startsAt, endsAt))", {
            field: "endsAt",
          });
        if (endsAt <= now)
          throw new ProblemError(422, "validation", "endsAt has passed: the promotion would never apply", {
            field: "endsAt",
          });
        const idempotency = key ? idempotentCommand(c, "promotion", key, body) : undefined;
        const result = await deps.promotions.create(
          {
            name: body.name,
            type: body.type,
            rules: body.rules,
            scope: body.scope,
            conditions: body.conditions,
            timeSlots: body.timeSlots,
            weekdays: [...new Set(body.weekdays)].sort((a, b) => a - b),
            startsAt,
            endsAt,
            exclusive: body.exclusive,
            ...(body.stackGroup === undefined ? {} : { stackGroup: body.stackGroup }),
            priority: body.priority,
            ...(idempotency ? { idempotency } : {}),
          },
          meta(c),
        );
        if (!result.created && result.fingerprint !== idempotency?.fingerprint)
          throw new ProblemError(
            422,
            "idempotency-key-reused",
            "this Idempotency-Key created another promotion",
            {
              field: "Idempotency-Key",
            },
          );
        return c.json(promotionView(result.promotion, now), 201);
      },
    );

    define(
      {
        method: "get",
        path: "/v1/promotions",
        summary: "Promotions, newest first, optionally by status (scheduled, active, ended)",
        tag: "Promotions",
        permission: "promotion:read",
        query: promotionListQuery,
        response: { status: 200, schema: promotionPage, description: "A page of promotions" },
      },
      async (c) => {
        const q = parseQuery(c, promotionListQuery);
        const now = Date.now();
        const page = await pagedRead(() =>
          deps.promotions.list({
            limit: q.limit,
            now,
            ...(q.status ? { status: q.status } : {}),
            ...(q.cursor ? { cursor: q.cursor } : {}),
          }),
        );
        return c.json({ items: page.items.map((p) => promotionView(p, now)), nextCursor: page.nextCursor });
      },
    );

    define(
      {
        method: "get",
        path: "/v1/promotions/:promotionId",
        summary: "One promotion with its status",
        tag: "Promotions",
        permission: "promotion:read",
        response: { status: 200, schema: promotionSchema, description: "The promotion; 404 when unknown" },
      },
      async (c) => {
        const id = promotionId(c);
        const found = await deps.promotions.get(id);
        if (!found) throw new ProblemError(404, "not-found", `no promotion ${id}`, { field: "promotionId" });
        return c.json(promotionView(found, Date.now()));
      },
    );

    define(
      {
        method: "post",
        path: "/v1/promotions/:promotionId/end",
        summary: "End a promotion now (the next quote and order no longer apply it); ending twice is a no-op",
        tag: "Promotions",
        permission: "promotion:write",
        response: { status: 200, schema: promotionSchema, description: "The promotion, ended" },
      },
      async (c) => {
        const id = promotionId(c);
        const now = Date.now();
        const ended = await deps.promotions.end(id, now, meta(c));
        if (!ended) throw new ProblemError(404, "not-found", `no promotion ${id}`, { field: "promotionId" });
        return c.json(promotionView(ended, now));
      },
    );
  };
}
