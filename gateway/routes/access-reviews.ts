import type { Context } from "hono";
import { ACCESS_REVIEW_JOB, campaignIdOfRun } from "../../actors/access-review/index.ts";
import { DEFAULT_TIME_ZONE, type JobView, jobs, scheduleProblem } from "../../actors/scheduler/index.ts";
import { idSchema } from "../../actors/shared/index.ts";
import type { AccessReviewStore } from "../access-review-ports.ts";
import type { GatewayKit } from "../app.ts";
import type { TokenService } from "../auth.ts";
import { pagedRead } from "../cursor.ts";
import { optionalIdempotency } from "../idempotency.ts";
import { ProblemError } from "../problem.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";
import {
  batchBody,
  campaignPageSchema,
  campaignSchema,
  campaignsQuery,
  decisionBody,
  itemListSchema,
  itemPageSchema,
  itemSchema,
  itemsQuery,
  settingsBody,
  settingsSchema,
  startedSchema,
} from "./access-review-schemas.ts";

/**
 * Access reviews (decision 0036): campaigns started by the `access-review-campaign` job, each manager
 * confirming or revoking their team's grants, the deadline expiring the rest per policy.
 */
export function accessReviewRoutes(deps: {
  reviews: AccessReviewStore;
  tokens: Pick<TokenService, "forget">;
}) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const campaignParam = (c: Context) => parseParam(c.req.param("id"), idSchema, "id");
    const who = (c: Context) => {
      const m = kit.meta(c);
      return { by: m.by ?? "", requestId: m.requestId ?? null };
    };
    const settingsView = async (c: Context) => {
      const [settings, job] = await Promise.all([
        deps.reviews.settings(),
        kit.read<JobView>(c, jobs.kind, ACCESS_REVIEW_JOB),
      ]);
      return {
        ...settings,
        schedule: job.schedule,
        timezone: job.timezone,
        enabled: job.enabled,
        nextRunAt: job.nextRunAt,
      };
    };

    define(
      {
        method: "get",
        path: "/v1/access-reviews/settings",
        summary:
          "The access review policy (on expiry revoke or keep-and-flag, duration) and the campaign schedule",
        tag: "Access reviews",
        permission: "access_review:read",
        response: { status: 200, schema: settingsSchema, description: "The settings" },
      },
      async (c) => c.json(await settingsView(c)),
    );
    define(
      {
        method: "put",
        path: "/v1/access-reviews/settings",
        summary:
          "Set the policy (onExpiry: revoke | keep, durationSeconds) and the campaign schedule (cron, timeZone, enabled)",
        tag: "Access reviews",
        permission: "access_review:configure",
        body: settingsBody,
        response: { status: 200, schema: settingsSchema, description: "The settings, changed" },
      },
      async (c) => {
        const body = await parseBody(c, settingsBody);
        let schedule: { cron: string; timeZone: string } | undefined;
        if (body.cron !== undefined || body.timeZone !== undefined) {
          const current = await kit.read<JobView>(c, jobs.kind, ACCESS_REVIEW_JOB);
          const cron = body.cron ?? current.schedule;
          if (cron === null)
            throw new ProblemError(422, "validation", "a time zone needs a cron schedule", { field: "cron" });
          schedule = { cron, timeZone: body.timeZone ?? current.timezone ?? DEFAULT_TIME_ZONE };
          const problem = scheduleProblem(schedule, Date.now());
          if (problem) throw new ProblemError(422, "validation", problem.message, { field: problem.field });
        }
        if (schedule || body.enabled !== undefined) {
          const call = jobs.configure(ACCESS_REVIEW_JOB, {
            ...(schedule ? { schedule } : {}),
            ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
          });
          await kit.command(c, call.to.kind, ACCESS_REVIEW_JOB, call.cmd);
        }
        const change = {
          ...(body.onExpiry !== undefined ? { onExpiry: body.onExpiry } : {}),
          ...(body.durationSeconds !== undefined ? { durationSeconds: body.durationSeconds } : {}),
          ...(schedule ? { schedule } : {}),
          ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
        };
        await deps.reviews.putSettings(change, who(c));
        return c.json(await settingsView(c));
      },
    );
    define(
      {
        method: "get",
        path: "/v1/access-reviews",
        summary: "Access review campaigns, newest first, with their outcome counts",
        tag: "Access reviews",
        permission: "access_review:read",
        query: campaignsQuery,
        response: { status: 200, schema: campaignPageSchema, description: "A page of campaigns" },
      },
      async (c) => {
        const q = parseQuery(c, campaignsQuery);
        return c.json(await pagedRead(() => deps.reviews.campaigns(q.limit, q.cursor)));
      },
    );
    define(
      {
        method: "post",
        path: "/v1/access-reviews",
        summary: "Start a campaign now (runs the access-review-campaign job; 409 while a run is in flight)",
        tag: "Access reviews",
        permission: "access_review:configure",
        idempotencyKey: "optional",
        response: { status: 202, schema: startedSchema, description: "The run started; its campaign id" },
      },
      async (c) => {
        const idempotency = optionalIdempotency(c);
        const call = jobs.runNow(ACCESS_REVIEW_JOB, {});
        const reply = await kit.command<{ runId: string; startedAt: string }>(
          c,
          call.to.kind,
          ACCESS_REVIEW_JOB,
          call.cmd,
          idempotency("access-review:start", {}),
        );
        return c.json({ ...reply, campaign: campaignIdOfRun(reply.runId) }, 202);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/access-reviews/:id",
        summary: "One campaign: status, deadline, policy and outcome counts",
        tag: "Access reviews",
        permission: "access_review:read",
        response: { status: 200, schema: campaignSchema, description: "The campaign" },
      },
      async (c) => {
        const id = campaignParam(c);
        const campaign = await deps.reviews.campaign(id);
        if (!campaign) throw new ProblemError(404, "not-found", `no access review campaign ${id}`);
        return c.json(campaign);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/access-reviews/:id/items",
        summary: "A campaign's items (one per user and role); mine=true: the caller's team only",
        tag: "Access reviews",
        permission: "access_review:read",
        query: itemsQuery,
        response: { status: 200, schema: itemPageSchema, description: "A page of items" },
      },
      async (c) => {
        const id = campaignParam(c);
        const q = parseQuery(c, itemsQuery);
        const filter = {
          ...(q.mine === "true" ? { manager: who(c).by } : {}),
          ...(q.status ? { status: q.status } : {}),
        };
        const page = await pagedRead(() => deps.reviews.items(id, filter, q.limit, q.cursor));
        if (!page) throw new ProblemError(404, "not-found", `no access review campaign ${id}`);
        return c.json(page);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/access-reviews/:id/items/:item/decision",
        summary:
          "Confirm or revoke one grant of your team (revoke removes the role and revokes the user's tokens); the same decision again is a no-op, another one 409",
        tag: "Access reviews",
        permission: "access_review:decide",
        body: decisionBody,
        response: { status: 200, schema: itemSchema, description: "The item, decided" },
        responses: [
          { status: 403, description: "Not your team's item" },
          { status: 409, description: "Already decided otherwise, expired, or the campaign is closed" },
        ],
      },
      async (c) => {
        const id = campaignParam(c);
        const item = parseParam(c.req.param("item"), idSchema, "item");
        const body = await parseBody(c, decisionBody);
        const result = await deps.reviews.decide(id, [{ item, ...body }], who(c));
        for (const user of result.revokedUsers) deps.tokens.forget(user);
        return c.json(result.items[0]);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/access-reviews/:id/decisions",
        summary:
          "Decide several grants of your team at once (all or nothing; the field names the item at fault)",
        tag: "Access reviews",
        permission: "access_review:decide",
        body: batchBody,
        response: { status: 200, schema: itemListSchema, description: "The items, decided" },
        responses: [
          { status: 403, description: "An item is not your team's" },
          {
            status: 409,
            description: "An item was already decided otherwise, expired, or the campaign is closed",
          },
        ],
      },
      async (c) => {
        const id = campaignParam(c);
        const body = await parseBody(c, batchBody);
        const result = await deps.reviews.decide(id, body.items, who(c));
        for (const user of result.revokedUsers) deps.tokens.forget(user);
        return c.json({ items: result.items });
      },
    );
  };
}
