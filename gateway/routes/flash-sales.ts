import { createHash } from "node:crypto";
import type { Context } from "hono";
import { campaignSchema } from "../../actors/flash-sale/index.ts";
import type { GatewayKit } from "../app.ts";
import { pagedRead } from "../cursor.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { FlashSaleReadModel } from "../ports.ts";
import { ProblemError, validationProblem } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import type { FlashSaleAdmission } from "./flash-sale-admission.ts";
import {
  createdFlashSale,
  endBody,
  flashSaleBody,
  flashSalePage,
  flashSaleView,
  listQuery,
  purchasesView,
} from "./flash-sale-schemas.ts";

export interface FlashSaleRouteDeps {
  flashSales: FlashSaleReadModel;
  flashAdmission: FlashSaleAdmission;
}

const KIND = "flash-sale";

/** A read model with no campaigns, for a gateway built without the flash-sale read model. */
export const NO_FLASH_SALES: FlashSaleReadModel = {
  list: async (filter) => {
    if (filter.cursor) throw new ProblemError(400, "validation", "unknown cursor", { field: "cursor" });
    return { items: [], nextCursor: null };
  },
  progress: async () => [],
};

/** A campaign id from the caller and its idempotency key (a retried create reaches the same actor), else random. */
function campaignIdFor(principal: string, key: string | undefined): string {
  const seed = key === undefined ? crypto.randomUUID() : `${principal}\u0000${key}`;
  return `FS${createHash("sha256").update(seed).digest("hex").slice(0, 20)}`;
}

/** Flash sales (秒杀, issue 11 item 4, decision 0023): campaigns, their live figures, ending one early. */
export function flashSaleRoutes(deps: FlashSaleRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const campaignId = (c: Context) => parseParam(c.req.param("campaignId"), codeSchema, "campaignId");
    const view = async (c: Context, id: string, value?: Record<string, unknown>) => ({
      ...(value ?? (await kit.read<Record<string, unknown>>(c, KIND, id))),
      queue: deps.flashAdmission.queueLength(id),
    });

    define(
      {
        method: "post",
        path: "/v1/flash-sales",
        summary:
          "Create a flash sale: price, stock allocated from the SKU before it opens, window, per-user limit",
        tag: "Flash sales",
        permission: "promotion:write",
        body: flashSaleBody,
        idempotencyKey: "optional",
        response: {
          status: 201,
          schema: createdFlashSale,
          description:
            "Created with its stock allocated (active already when startsAt is past); 409 insufficient-stock",
        },
      },
      async (c) => {
        const body = await parseBody(c, flashSaleBody);
        const parsed = campaignSchema.safeParse({
          ...body,
          startsAt: body.startsAt.getTime(),
          endsAt: body.endsAt.getTime(),
        });
        if (!parsed.success) throw validationProblem(parsed.error);
        if (parsed.data.endsAt <= Date.now())
          throw new ProblemError(400, "validation", "endsAt is in the past", { field: "endsAt" });
        const key = idempotencyKey(c, false);
        const id = campaignIdFor(kit.meta(c).by ?? "anonymous", key);
        const cmd = { type: "create", campaign: parsed.data };
        const options = key
          ? idempotentCommand(c, "flash-sale", key, body)
          : { id: `flash-sale:${crypto.randomUUID()}` };
        return c.json(await command(c, KIND, id, cmd, options), 201);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/flash-sales",
        summary: "List flash sales, newest first, with their figures (read model: may lag the campaigns)",
        tag: "Flash sales",
        permission: "promotion:read",
        query: listQuery,
        response: { status: 200, schema: flashSalePage, description: "A page of campaigns" },
      },
      async (c) => {
        const q = parseQuery(c, listQuery);
        return c.json(await pagedRead(() => deps.flashSales.list(q)));
      },
    );
    define(
      {
        method: "get",
        path: "/v1/flash-sales/:campaignId",
        summary:
          "A flash sale with its live figures (status, sold, allocated, refused, remaining) from its actor",
        tag: "Flash sales",
        permission: "promotion:read",
        response: { status: 200, schema: flashSaleView, description: "The campaign" },
      },
      async (c) => c.json(await view(c, campaignId(c))),
    );
    define(
      {
        method: "get",
        path: "/v1/flash-sales/:campaignId/purchases/:userId",
        summary: "Units a buyer holds of a flash sale, and how many more the per-user limit allows",
        tag: "Flash sales",
        permission: "promotion:read",
        response: { status: 200, schema: purchasesView, description: "The buyer's units" },
      },
      async (c) => {
        const userId = parseParam(c.req.param("userId"), codeSchema, "userId");
        return c.json(
          await command(c, KIND, campaignId(c), { type: "purchases", userId }, { readOnly: true }),
        );
      },
    );
    define(
      {
        method: "post",
        path: "/v1/flash-sales/:campaignId/end",
        summary: "End a flash sale now: no more purchases; what is left goes back to sellable stock",
        tag: "Flash sales",
        permission: "promotion:write",
        body: endBody,
        response: {
          status: 200,
          schema: flashSaleView,
          description: "The ended campaign, its units already back on the SKU",
        },
      },
      async (c) => {
        const id = campaignId(c);
        const body = await parseBody(c, endBody);
        const cmd = { type: "end", ...(body.reason ? { reason: body.reason } : {}) };
        const ended = await command<Record<string, unknown>>(c, KIND, id, cmd, { id: `end:${id}` });
        return c.json(await view(c, id, ended));
      },
    );
  };
}
