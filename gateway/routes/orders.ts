import { createHash } from "node:crypto";
import type { Context } from "hono";
import { z } from "zod";
import { addressSchema, moneySchema } from "../../actors/order/index.ts";
import type { PriceBook } from "../../storage/prices.ts";
import { InvalidCursorError } from "../../storage/read-models/inventory-queries.ts";
import type { OrderQueries } from "../../storage/read-models/order-queries.ts";
import type { GatewayKit } from "../app.ts";
import { can, principalOf } from "../auth.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";

export interface OrderRouteDeps {
  prices: PriceBook;
  orders: OrderQueries;
  paymentTimeoutMs: number;
  autoCompleteMs: number;
}

const placeBody = z
  .object({
    userId: codeSchema,
    lines: z
      .array(z.object({ sku: codeSchema, qty: z.number().int().positive().max(10_000) }).strict())
      .min(1)
      .max(100),
    address: addressSchema,
    channel: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,39}$/)
      .default("web"),
    maxPerUser: z.number().int().positive().max(10_000).optional(),
    pointsToSpend: z.number().int().positive().max(1_000_000_000).optional(),
    campaignId: codeSchema.optional(),
    maxPerCampaign: z.number().int().positive().max(10_000).optional(),
  })
  .strict();
const priceBody = z.object({ listPrice: moneySchema }).strict();
const listQuery = z
  .object({
    status: z.string().max(40).optional(),
    userId: codeSchema.optional(),
    sku: codeSchema.optional(),
    channel: z.string().max(40).optional(),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    minTotal: z.coerce.number().int().min(0).optional(),
    maxTotal: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
const statsQuery = z
  .object({ from: z.coerce.date(), to: z.coerce.date(), interval: z.enum(["hour", "day"]).default("day") })
  .strict();
const mergeQuery = z.object({ userId: codeSchema }).strict();
const cancelBody = z
  .object({ reason: z.string().trim().min(1).max(200).default("cancelled by request") })
  .strict();
const shipBody = z
  .object({ carrier: z.string().trim().min(1).max(40), trackingNo: z.string().trim().min(1).max(64) })
  .strict();
const afterSalesBody = z
  .object({
    kind: z.enum(["refund_only", "return_and_refund"]),
    reason: z.string().trim().min(1).max(500),
    amount: moneySchema.optional(),
  })
  .strict();
const decisionBody = z.object({ approve: z.boolean(), note: z.string().max(500).optional() }).strict();
const receiveBody = z.object({ warehouse: codeSchema, disposition: z.enum(["restock", "scrap"]) }).strict();
const addressBody = z.object({ address: addressSchema }).strict();

/** Order ids come from the caller's idempotency key, so a retried POST reaches the same order actor. */
export function orderIdFor(userId: string, key: string): string {
  return `O${createHash("sha256")
    .update(`${userId}\u0000${key}`)
    .digest("base64url")
    .slice(0, 22)
    .replace(/[^A-Za-z0-9]/g, "x")}`;
}

/** Phone and address are personal data: masked unless the caller holds `customer:pii`. */
export function maskOrder<T extends Record<string, unknown>>(c: Context, order: T): T {
  if (can(principalOf(c), "customer:pii")) return order;
  const address = order.address as { phone: string; detail: string; name: string; region: string } | null;
  if (!address) return order;
  return {
    ...order,
    address: {
      region: address.region,
      name: `${address.name.slice(0, 1)}*`,
      phone: address.phone.replace(/\d(?=\d{4})/g, "*"),
      detail: "***",
    },
  };
}

export function orderRoutes(deps: OrderRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const orderId = (c: Context) => parseParam(c.req.param("orderId"), codeSchema, "orderId") as string;

    define(
      {
        method: "put",
        path: "/v1/skus/:sku/price",
        summary: "Set a SKU's list price (integer fen, CNY)",
        tag: "Products",
        permission: "product:write",
        body: priceBody,
      },
      async (c) => {
        const sku = parseParam(c.req.param("sku"), codeSchema, "sku") as string;
        const body = await parseBody(c, priceBody);
        return c.json(await deps.prices.set(sku, body.listPrice, kit.meta(c).by, kit.meta(c).requestId));
      },
    );

    define(
      {
        method: "post",
        path: "/v1/orders",
        summary: "Place an order: price it, reserve every line or none, await payment",
        tag: "Orders",
        permission: "order:write",
        body: placeBody,
        idempotencyKey: "required",
        response: {
          status: 201,
          description:
            "{ orderId, status: pending_payment, amounts, expiresAt }; 409 insufficient-stock with nothing reserved",
        },
      },
      async (c) => {
        const key = idempotencyKey(c, true)!;
        const body = await parseBody(c, placeBody);
        const skus = body.lines.map((l) => l.sku);
        if (new Set(skus).size !== skus.length)
          throw new ProblemError(400, "validation", "each SKU may appear once", { field: "lines" });
        const prices = await deps.prices.get(skus);
        const unpriced = body.lines.findIndex((l) => !prices.has(l.sku));
        if (unpriced >= 0) {
          throw new ProblemError(
            422,
            "unknown-price",
            `SKU ${skus[unpriced]} has no price; PUT /v1/skus/${skus[unpriced]}/price first`,
            {
              field: `lines.${unpriced}.sku`,
            },
          );
        }
        const id = orderIdFor(body.userId, key);
        const placed = await command(
          c,
          "order",
          id,
          {
            type: "place",
            userId: body.userId,
            lines: body.lines.map((l) => ({ ...l, unitPrice: prices.get(l.sku)! })),
            address: body.address,
            channel: body.channel,
            discount: 0,
            freight: 0,
            paymentTimeoutMs: deps.paymentTimeoutMs,
            ...(body.maxPerUser ? { maxPerUser: body.maxPerUser } : {}),
            ...(body.pointsToSpend ? { pointsToSpend: body.pointsToSpend } : {}),
            ...(body.campaignId ? { campaignId: body.campaignId } : {}),
            ...(body.maxPerCampaign ? { maxPerCampaign: body.maxPerCampaign } : {}),
          },
          { id: `place:${key}` },
        );
        return c.json(placed, 201);
      },
    );

    define(
      {
        method: "get",
        path: "/v1/orders/stats",
        summary: "GMV, orders, paid rate, average order value, refunds per hour or day",
        tag: "Orders",
        permission: "order:read",
        query: statsQuery,
      },
      async (c) => {
        const q = parseQuery(c, statsQuery) as z.infer<typeof statsQuery>;
        return c.json({ interval: q.interval, buckets: await deps.orders.stats(q.from, q.to, q.interval) });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/orders",
        summary: "Search orders (read model), newest first",
        tag: "Orders",
        permission: "order:read",
        query: listQuery,
      },
      async (c) => {
        const q = parseQuery(c, listQuery) as z.infer<typeof listQuery>;
        try {
          return c.json(await deps.orders.list(q));
        } catch (error) {
          if (error instanceof InvalidCursorError)
            throw new ProblemError(400, "validation", error.message, { field: "cursor" });
          throw error;
        }
      },
    );
    define(
      {
        method: "get",
        path: "/v1/orders/merge-candidates",
        summary: "Paid, unshipped orders of one user grouped by identical address (ship together)",
        tag: "Orders",
        permission: "order:read",
        query: mergeQuery,
      },
      async (c) => {
        const q = parseQuery(c, mergeQuery) as z.infer<typeof mergeQuery>;
        const page = await deps.orders.list({ userId: q.userId, status: "awaiting_shipment", limit: 200 });
        const groups = new Map<string, { address: unknown; orders: string[] }>();
        for (const item of page.items) {
          const order = (await command(c, "order", item.orderId, { type: "get" }, { readOnly: true })) as {
            status: string;
            address: Record<string, string>;
          };
          if (order.status !== "awaiting_shipment") continue;
          const key = JSON.stringify([
            order.address.region,
            order.address.detail,
            order.address.name,
            order.address.phone,
          ]);
          const group = groups.get(key) ?? { address: order.address, orders: [] };
          group.orders.push(item.orderId);
          groups.set(key, group);
        }
        const mergeable = [...groups.values()].filter((g) => g.orders.length > 1);
        return c.json({
          userId: q.userId,
          groups: mergeable.map((g) => maskOrder(c, { address: g.address, orders: g.orders })),
        });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/orders/:orderId/shipment-plan",
        summary: "The order split by warehouse: one parcel per warehouse its lines were reserved in",
        tag: "Orders",
        permission: "order:read",
      },
      async (c) => {
        const id = orderId(c);
        const order = (await command(c, "order", id, { type: "get" }, { readOnly: true })) as {
          status: string;
          lines: Array<{ sku: string; allocation: Array<{ warehouse: string; qty: number }> }>;
        };
        const parcels = new Map<string, Array<{ sku: string; qty: number }>>();
        for (const line of order.lines) {
          for (const part of line.allocation)
            parcels.set(part.warehouse, [
              ...(parcels.get(part.warehouse) ?? []),
              { sku: line.sku, qty: part.qty },
            ]);
        }
        return c.json({
          orderId: id,
          status: order.status,
          parcels: [...parcels].map(([warehouse, lines]) => ({ warehouse, lines })),
        });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/orders/:orderId",
        summary: "One order with its timeline, from its actor",
        tag: "Orders",
        permission: "order:read",
      },
      async (c) =>
        c.json(maskOrder(c, await command(c, "order", orderId(c), { type: "get" }, { readOnly: true }))),
    );

    const transition = (
      path: string,
      summary: string,
      permission: string,
      body: z.ZodType | undefined,
      toCommand: (b: Record<string, unknown>) => Record<string, unknown> & { type: string },
    ) =>
      define(
        {
          method: "post",
          path,
          summary,
          tag: "Orders",
          permission,
          ...(body ? { body } : {}),
          idempotencyKey: "optional",
        },
        async (c) => {
          const id = orderId(c);
          const key = idempotencyKey(c, false);
          const parsed = body ? ((await parseBody(c, body)) as Record<string, unknown>) : {};
          const cmd = toCommand(parsed);
          return c.json(
            await command(c, "order", id, cmd, { id: `${cmd.type}:${key ?? crypto.randomUUID()}` }),
          );
        },
      );
    transition(
      "/v1/orders/:orderId/cancel",
      "Cancel an unpaid order (releases its stock)",
      "order:write",
      cancelBody,
      (b) => ({ type: "cancel", reason: b.reason as string }),
    );
    transition(
      "/v1/orders/:orderId/ship",
      "Ship: deducts the reserved stock",
      "order:fulfil",
      shipBody,
      (b) => ({
        type: "ship",
        carrier: b.carrier as string,
        trackingNo: b.trackingNo as string,
        autoCompleteMs: deps.autoCompleteMs,
      }),
    );
    transition(
      "/v1/orders/:orderId/confirm-receipt",
      "Confirm receipt (completes the order)",
      "order:write",
      undefined,
      () => ({ type: "confirmReceipt" }),
    );
    transition(
      "/v1/orders/:orderId/after-sales",
      "Request a refund or a return",
      "order:write",
      afterSalesBody,
      (b) => ({ type: "requestAfterSales", ...b }) as { type: string },
    );
    transition(
      "/v1/orders/:orderId/after-sales/decision",
      "Approve or reject an after-sales request",
      "order:approve",
      decisionBody,
      (b) => ({ type: "decideAfterSales", ...b }) as { type: string },
    );
    transition(
      "/v1/orders/:orderId/after-sales/receive",
      "Receive returned goods (restock or scrap) and refund",
      "order:fulfil",
      receiveBody,
      (b) => ({ type: "receiveReturn", ...b }) as { type: string },
    );
    define(
      {
        method: "put",
        path: "/v1/orders/:orderId/address",
        summary: "Change the address before shipment",
        tag: "Orders",
        permission: "order:write",
        body: addressBody,
      },
      async (c) => {
        const id = orderId(c);
        const body = await parseBody(c, addressBody);
        return c.json(
          maskOrder(
            c,
            await command(
              c,
              "order",
              id,
              { type: "changeAddress", address: body.address },
              { id: `address:${crypto.randomUUID()}` },
            ),
          ),
        );
      },
    );

    define(
      {
        method: "get",
        path: "/v1/members/:userId",
        summary: "A member's level, points and recent orders",
        tag: "Members",
        permission: "member:read",
      },
      async (c) => {
        const userId = parseParam(c.req.param("userId"), codeSchema, "userId") as string;
        return c.json(await command(c, "member", userId, { type: "get" }, { readOnly: true }));
      },
    );
  };
}
