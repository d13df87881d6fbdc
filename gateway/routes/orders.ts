import type { Context } from "hono";
import type { z } from "zod";
import { type Address, type AllocatedLine, mergeGroups, shipmentParcels } from "../../actors/order/index.ts";
import type { GatewayKit } from "../app.ts";
import { pagedRead } from "../cursor.ts";
import { guardOrderCommand, listScope, orderInScopeOr404, orderVisible } from "../data-scope.ts";
import type { FreightPorts } from "../freight-ports.ts";
import { idempotentCommand } from "../idempotency.ts";
import { revealTo } from "../pii.ts";
import type { AuditLog, Catalogue, OrderReadModel, PriceRuleStore, PromotionStore } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import { priceCheckout } from "./checkout-pricing.ts";
import { type CampaignSnapshot, type FlashSaleAdmission, flashSaleOrder } from "./flash-sale-admission.ts";
import { pinnedWarehouse } from "./freight-checkout.ts";
import { groupBuyProblem } from "./group-buys.ts";
import { requireOnSale } from "./listing-check.ts";
import { groupOf, orderIdFor, orderLines, presaleOf, promotionsAndCoupons } from "./order-placement.ts";
import {
  mergeCandidates,
  orderPage,
  orderStats,
  orderView,
  placedOrder,
  shipmentPlan,
  transitionReply,
} from "./order-responses.ts";
import { addressBody, listQuery, mergeQuery, placeBody, statsQuery } from "./order-schemas.ts";

export { orderIdFor };

type PlaceBody = z.infer<typeof placeBody>;

export interface OrderRouteDeps extends FreightPorts {
  priceRules: PriceRuleStore;
  promotions: PromotionStore;
  orders: OrderReadModel;
  catalogue: Pick<Catalogue, "spuOfSkus">;
  paymentTimeoutMs: number;
  /** Admission control of flash-sale orders (decision 0023). */
  flashAdmission: FlashSaleAdmission;
  /** Where reads of unmasked personal data are recorded (`pii.read`, decision 0037). */
  audit: AuditLog;
}

/** The parts of the order actor's `get` reply these routes read. */
interface OrderView {
  status: string;
  address: Address;
  lines: AllocatedLine[];
}

/** Orders: placing, reading, searching, statistics, shipment planning and address changes. */
export function orderRoutes(deps: OrderRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const orderId = (c: Context) => parseParam(c.req.param("orderId"), codeSchema, "orderId");
    const readOrder = <T = OrderView>(c: Context, id: string) => kit.read<T>(c, "order", id);
    // The masking policy (the same one sockets, exports and logs apply), audited when it unmasks.
    const forCaller = <T>(c: Context, target: string | string[], value: T) =>
      revealTo(c, deps.audit, "customer", target, value);
    /** A single read: the order from its actor, 404 when it lies outside the caller's data scope (0033). */
    const scopedOrder = <T extends object = OrderView>(c: Context, id: string) =>
      orderInScopeOr404(c, id, readOrder<T>(c, id));

    define(
      {
        method: "post",
        path: "/v1/orders",
        summary: "Place an order: price it as a quote does, reserve every line or none, await payment",
        tag: "Orders",
        permission: "order:write",
        body: placeBody,
        idempotencyKey: "required",
        response: {
          status: 201,
          schema: placedOrder,
          description: "Placed, awaiting payment; 409 insufficient-stock with nothing reserved",
        },
      },
      async (c) => {
        const key = idempotencyKey(c, true);
        const body = await parseBody(c, placeBody);
        if (body.campaignId === undefined) return c.json(await place(c, key, body), 201);
        // A flash sale: the campaign's read answers the sold-out fast path; admission bounds the rest.
        const admission = deps.flashAdmission;
        const placed = flashSaleOrder(kit, c, admission, body.campaignId, body.userId, (cp) =>
          place(c, key, body, cp),
        );
        return c.json(await placed, 201);
      },
    );

    async function place(c: Context, key: string, body: PlaceBody, campaign?: CampaignSnapshot) {
      await requireOnSale(
        kit,
        c,
        deps.catalogue,
        body.lines.map((l) => l.sku),
      );
      // Priced afresh exactly as POST /v1/checkout/quote prices (resolver, promotions, points).
      const quote = await priceCheckout(kit, c, deps, { ...body, ...(campaign ? { campaign } : {}) });
      if (body.quoteId !== undefined && body.quoteId !== quote.quoteId)
        throw new ProblemError(409, "quote-changed", "the price changed since the quote; quote again", {
          field: "quoteId",
          quoteId: quote.quoteId,
          amounts: quote.amounts,
        });
      return command(
        c,
        "order",
        orderIdFor(kit.meta(c).by, key),
        {
          type: "place",
          userId: body.userId,
          lines: orderLines(quote).map((l) => ({ ...l, ...pinnedWarehouse(quote.routing, l.sku) })),
          address: body.address,
          channel: body.channel,
          // Promotions here; the actor adds the points (the same capped amount) itself.
          discount: quote.amounts.discount - quote.points.spent,
          freight: quote.amounts.freight,
          paymentTimeoutMs: deps.paymentTimeoutMs,
          ...(quote.points.spent > 0 ? { pointsToSpend: quote.points.spent } : {}),
          ...(campaign ? { campaignId: campaign.campaignId, campaignSku: campaign.sku } : {}),
          ...promotionsAndCoupons(quote),
          ...(body.quoteId ? { quoteId: body.quoteId } : {}),
          ...groupOf(body),
          ...(quote.routing ? { routing: quote.routing } : {}),
          ...presaleOf(quote),
        },
        idempotentCommand(c, "place", key, body),
      ).catch(groupBuyProblem);
    }

    define(
      {
        method: "get",
        path: "/v1/orders/stats",
        summary: "GMV, orders, paid rate, average order value, refunds per hour or day",
        tag: "Orders",
        permission: "order:read",
        query: statsQuery,
        response: { status: 200, schema: orderStats, description: "One bucket per hour or day with orders" },
      },
      async (c) => {
        const q = parseQuery(c, statsQuery);
        const buckets = await deps.orders.stats(q.from, q.to, q.interval, listScope(c));
        return c.json({ interval: q.interval, buckets });
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
        response: { status: 200, schema: orderPage, description: "A page of orders" },
      },
      async (c) => {
        const q = parseQuery(c, listQuery);
        return c.json(await pagedRead(() => deps.orders.list(q, listScope(c))));
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
        response: { status: 200, schema: mergeCandidates, description: "Groups of two or more orders" },
      },
      async (c) => {
        const q = parseQuery(c, mergeQuery);
        const scope = listScope(c);
        const page = await deps.orders.list(
          { userId: q.userId, status: "awaiting_shipment", limit: 200 },
          scope,
        );
        const waiting: Array<{ orderId: string; address: Address }> = [];
        for (const item of page.items) {
          // The read model may lag: the actor says whether the order still waits for shipment (and is in scope).
          const order = await readOrder(c, item.orderId);
          if (order.status === "awaiting_shipment" && orderVisible(c, order))
            waiting.push({ orderId: item.orderId, address: order.address });
        }
        const groups = mergeGroups(waiting);
        const targets = waiting.map((o) => `order/${o.orderId}`);
        return c.json({ userId: q.userId, groups: await forCaller(c, targets, groups) });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/orders/:orderId/shipment-plan",
        summary: "The order split by warehouse: one parcel per warehouse its lines were reserved in",
        tag: "Orders",
        permission: "order:read",
        response: { status: 200, schema: shipmentPlan, description: "The parcels" },
      },
      async (c) => {
        const id = orderId(c);
        const order = await scopedOrder(c, id);
        return c.json({ orderId: id, status: order.status, parcels: shipmentParcels(order.lines) });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/orders/:orderId",
        summary: "One order with its timeline, from its actor",
        tag: "Orders",
        permission: "order:read",
        response: { status: 200, schema: orderView, description: "The order" },
      },
      async (c) => {
        const id = orderId(c);
        return c.json(await forCaller(c, `order/${id}`, await scopedOrder<Record<string, unknown>>(c, id)));
      },
    );
    define(
      {
        method: "put",
        path: "/v1/orders/:orderId/address",
        summary: "Change the address before shipment",
        tag: "Orders",
        permission: "order:write",
        body: addressBody,
        response: { status: 200, schema: transitionReply.address, description: "The address now in force" },
      },
      async (c) => {
        const id = orderId(c);
        const body = await parseBody(c, addressBody);
        await guardOrderCommand(c, id, () => readOrder(c, id));
        const cmd = { type: "changeAddress", address: body.address };
        const reply = await command(c, "order", id, cmd, { id: `address:${crypto.randomUUID()}` });
        return c.json(await forCaller(c, `order/${id}`, reply));
      },
    );
  };
}
