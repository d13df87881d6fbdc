import { createHash } from "node:crypto";
import type { Context } from "hono";
import { groupBuyCampaignSchema, groupBuyOfGroup } from "../../actors/groupbuy/index.ts";
import type { GatewayKit } from "../app.ts";
import { idempotentCommand } from "../idempotency.ts";
import { ProblemError, validationProblem } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import { groupBuyBody, groupBuyView, groupPage, groupsQuery, groupView } from "./group-buy-schemas.ts";

const KIND = "group-buy";

/** A refused group-buy seat (the actor's `details.reason`) as its own 409 problem type; anything else unchanged. */
export function groupBuyProblem(error: unknown): never {
  if (error instanceof ProblemError && error.slug === "conflict") {
    const { reason, ...rest } = error.extra;
    const extra = { ...rest, field: rest.field ?? "groupId" };
    if (reason === "group-full") throw new ProblemError(409, "group-full", error.message, extra);
    if (reason === "group-closed") throw new ProblemError(409, "group-closed", error.message, extra);
    if (reason === "already-in-group") throw new ProblemError(409, "already-in-group", error.message, extra);
    if (reason === "group-not-found") throw new ProblemError(409, "group-not-found", error.message, extra);
    if (reason === "group-buy-not-active")
      throw new ProblemError(409, "group-buy-not-active", error.message, { ...rest, field: "groupBuyId" });
    if (reason === "qty-over-limit")
      throw new ProblemError(409, "qty-over-limit", error.message, { ...rest, field: "lines.0.qty" });
  }
  throw error;
}

/** A campaign id from the caller and its idempotency key (a retried create reaches the same actor), else random. */
function groupBuyIdFor(principal: string, key: string | undefined): string {
  const seed = key === undefined ? crypto.randomUUID() : `${principal}\u0000${key}`;
  return `GB${createHash("sha256").update(seed).digest("hex").slice(0, 20)}`;
}

interface CampaignReply {
  list: Array<{ status: "open" | "formed" | "failed"; openedAt: string }>;
  [field: string]: unknown;
}

/** Group buying (拼团, issue 11 item 5, decision 0024): campaigns and their groups. */
export function groupBuyRoutes() {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const groupBuyId = (c: Context) => parseParam(c.req.param("groupBuyId"), codeSchema, "groupBuyId");
    define(
      {
        method: "post",
        path: "/v1/group-buys",
        summary: "Create a group-buy campaign (拼团): SKU, group price, group size, hours to form, window",
        tag: "Promotions",
        permission: "promotion:write",
        body: groupBuyBody,
        idempotencyKey: "optional",
        response: {
          status: 201,
          schema: groupBuyView,
          description: "Created (a retry with the same key: the same campaign)",
        },
      },
      async (c) => {
        const body = await parseBody(c, groupBuyBody);
        const parsed = groupBuyCampaignSchema.safeParse({
          ...body,
          startsAt: body.startsAt.getTime(),
          endsAt: body.endsAt.getTime(),
        });
        if (!parsed.success) throw validationProblem(parsed.error);
        const key = idempotencyKey(c, false);
        const id = groupBuyIdFor(kit.meta(c).by ?? "anonymous", key);
        const cmd = { type: "create", campaign: parsed.data };
        const commandId = key
          ? idempotentCommand(c, "group-buy", key, body)
          : { id: `group-buy:${crypto.randomUUID()}` };
        return c.json(await command(c, KIND, id, cmd, commandId), 201);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/group-buys/:groupBuyId",
        summary: "A group-buy campaign with its group counts, from its actor",
        tag: "Promotions",
        permission: "promotion:read",
        response: { status: 200, schema: groupBuyView, description: "The campaign" },
      },
      async (c) => {
        const { list: _, ...campaign } = await kit.read<CampaignReply>(c, KIND, groupBuyId(c));
        return c.json(campaign);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/group-buys/:groupBuyId/groups",
        summary: "The campaign's groups, newest first, with their seats and members (from its actor)",
        tag: "Promotions",
        permission: "promotion:read",
        query: groupsQuery,
        response: { status: 200, schema: groupPage, description: "Groups, newest first" },
      },
      async (c) => {
        const id = groupBuyId(c);
        const q = parseQuery(c, groupsQuery);
        const { list } = await kit.read<CampaignReply>(c, KIND, id);
        const matching = list.filter((g) => q.status === undefined || g.status === q.status).reverse();
        return c.json({ groupBuyId: id, items: matching.slice(0, q.limit), total: matching.length });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/groups/:groupId",
        summary: "One group (团) with its members, seats left and deadline (join it with POST /v1/orders)",
        tag: "Promotions",
        permission: "promotion:read",
        response: { status: 200, schema: groupView, description: "The group" },
      },
      async (c) => {
        const groupId = parseParam(c.req.param("groupId"), codeSchema, "groupId");
        const campaign = groupBuyOfGroup(groupId);
        if (campaign === undefined) throw new ProblemError(404, "not-found", `no group ${groupId}`);
        return c.json(await command(c, KIND, campaign, { type: "group", groupId }, { readOnly: true }));
      },
    );
  };
}
