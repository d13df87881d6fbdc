import { createHash } from "node:crypto";
import type { Context } from "hono";
import { couponTemplateSchema } from "../../actors/coupon/index.ts";
import type { GatewayKit } from "../app.ts";
import { pagedRead } from "../cursor.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { CouponReadModel } from "../ports.ts";
import { ProblemError, validationProblem } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import {
  claimBody,
  claimedCoupon,
  createdTemplate,
  expireBody,
  memberCouponPage,
  memberCouponsQuery,
  pushBody,
  pushReply,
  templateBody,
  templateStats,
  templateView,
} from "./coupon-schemas.ts";

export interface CouponRouteDeps {
  coupons: CouponReadModel;
}

const KIND = "coupon-template";

/** A template id from the caller and its idempotency key (a retried create reaches the same actor), else random. */
function templateIdFor(principal: string, key: string | undefined): string {
  const seed = key === undefined ? crypto.randomUUID() : `${principal}\u0000${key}`;
  return `CT${createHash("sha256").update(seed).digest("hex").slice(0, 20)}`;
}

/** The coupon-template actor's refusals (`details.reason`) as their own problem types; others unchanged. */
function couponProblem(error: unknown): never {
  if (error instanceof ProblemError && error.slug === "conflict") {
    const { reason, ...extra } = error.extra;
    if (reason === "coupons-exhausted")
      throw new ProblemError(409, "coupons-exhausted", error.message, extra);
    if (reason === "coupon-limit-reached")
      throw new ProblemError(409, "coupon-limit-reached", error.message, extra);
    if (reason === "coupon-not-active")
      throw new ProblemError(409, "coupon-not-active", error.message, extra);
  }
  throw error;
}

/** Coupons (issue 11 item 3): templates, claims, operator pushes, statistics and a member's coupons. */
export function couponRoutes(deps: CouponRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const templateId = (c: Context) => parseParam(c.req.param("templateId"), codeSchema, "templateId");
    /** The command id: the caller's Idempotency-Key (with the request's fingerprint), else a fresh one. */
    const commandId = (c: Context, operation: string, body: unknown) => {
      const key = idempotencyKey(c, false);
      return key ? idempotentCommand(c, operation, key, body) : { id: `${operation}:${crypto.randomUUID()}` };
    };

    define(
      {
        method: "post",
        path: "/v1/coupon-templates",
        summary:
          "Create a coupon template: amount or percent off, threshold, scope, budget, per-user limit, validity",
        tag: "Coupons",
        permission: "coupon:write",
        body: templateBody,
        idempotencyKey: "optional",
        response: {
          status: 201,
          schema: createdTemplate,
          description: "Created (a retry with the same key: the same template)",
        },
      },
      async (c) => {
        const body = await parseBody(c, templateBody);
        const parsed = couponTemplateSchema.safeParse({
          ...body,
          validFrom: body.validFrom.getTime(),
          validTo: body.validTo.getTime(),
        });
        if (!parsed.success) throw validationProblem(parsed.error);
        const id = templateIdFor(kit.meta(c).by ?? "anonymous", idempotencyKey(c, false));
        const cmd = { type: "create", template: parsed.data };
        return c.json(await command(c, KIND, id, cmd, commandId(c, "coupon-template", body)), 201);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/coupon-templates/:templateId",
        summary: "A coupon template with its counters, from its actor",
        tag: "Coupons",
        permission: "coupon:read",
        response: { status: 200, schema: templateView, description: "The template" },
      },
      async (c) => c.json(await kit.read(c, KIND, templateId(c))),
    );
    define(
      {
        method: "post",
        path: "/v1/coupon-templates/:templateId/claims",
        summary: "A customer claims a coupon (budget and per-user limit held by the template's actor)",
        tag: "Coupons",
        permission: "coupon:claim",
        body: claimBody,
        idempotencyKey: "optional",
        response: {
          status: 201,
          schema: claimedCoupon,
          description: "Issued; 409 coupons-exhausted, coupon-limit-reached or coupon-not-active",
        },
      },
      async (c) => {
        const id = templateId(c);
        const body = await parseBody(c, claimBody);
        const cmd = { type: "claim", userId: body.userId };
        const claimed = await command(c, KIND, id, cmd, commandId(c, "claim", body)).catch(couponProblem);
        return c.json(claimed, 201);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/coupon-templates/:templateId/push",
        summary:
          "An operator pushes one coupon to each listed user (per-user results; budget and limits hold)",
        tag: "Coupons",
        permission: "coupon:write",
        body: pushBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: pushReply, description: "What each user got, or why not" },
      },
      async (c) => {
        const id = templateId(c);
        const body = await parseBody(c, pushBody);
        const cmd = { type: "push", userIds: body.userIds };
        return c.json(await command(c, KIND, id, cmd, commandId(c, "push", body)).catch(couponProblem));
      },
    );
    define(
      {
        method: "post",
        path: "/v1/coupon-templates/:templateId/expire",
        summary: "End a template now: no more claims; its unused coupons expire",
        tag: "Coupons",
        permission: "coupon:write",
        body: expireBody,
        response: { status: 200, schema: templateView, description: "The ended template" },
      },
      async (c) => {
        const id = templateId(c);
        const body = await parseBody(c, expireBody);
        const cmd = { type: "expire", ...(body.reason ? { reason: body.reason } : {}) };
        return c.json(await command(c, KIND, id, cmd, { id: `expire:${id}` }));
      },
    );
    define(
      {
        method: "get",
        path: "/v1/coupon-templates/:templateId/stats",
        summary:
          "Issued, claimed, used, expired, GMV driven and discount cost: from the actor, consistent with every acknowledged write",
        tag: "Coupons",
        permission: "coupon:read",
        response: { status: 200, schema: templateStats, description: "The template's effect" },
      },
      async (c) => {
        const view = await kit.read<Record<string, unknown>>(c, KIND, templateId(c));
        const pick = Object.keys(templateStats.shape);
        return c.json(Object.fromEntries(pick.map((k) => [k, view[k]])));
      },
    );
    define(
      {
        method: "get",
        path: "/v1/members/:userId/coupons",
        summary: "A member's coupons, newest first (read model: may lag a claim by the projector's delay)",
        tag: "Coupons",
        permission: "coupon:read",
        query: memberCouponsQuery,
        response: { status: 200, schema: memberCouponPage, description: "A page of coupons" },
      },
      async (c) => {
        const userId = parseParam(c.req.param("userId"), codeSchema, "userId");
        const q = parseQuery(c, memberCouponsQuery);
        return c.json(await pagedRead(() => deps.coupons.memberCoupons(userId, q)));
      },
    );
  };
}
