import type { Context } from "hono";
import type { z } from "zod";
import { warehouses } from "../../actors/warehouse/index.ts";
import type { GatewayKit } from "../app.ts";
import type { ApprovalStore } from "../approval-ports.ts";
import { guardOrderCommand } from "../data-scope.ts";
import { optionalIdempotency } from "../idempotency.ts";
import type { RouteDoc } from "../openapi.ts";
import type { ActorCommand } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam } from "../validate.ts";
import { holdRefund, PENDING_APPROVAL_RESPONSE } from "./approval-guard.ts";
import { transitionReply } from "./order-responses.ts";
import { afterSalesBody, cancelBody, decisionBody, receiveBody, shipBody } from "./order-schemas.ts";
import { waveIdFor } from "./warehouse-floor-helpers.ts";

export interface OrderLifecycleRouteDeps {
  /** How long after shipment an order completes by itself when the buyer does not confirm receipt. */
  autoCompleteMs: number;
  /** Approving a refund at or above a rule's amount goes through a generic approval (decision 0034). */
  approvals?: ApprovalStore | undefined;
}

/** The parts of the order actor's `get` reply `/ship` reads: where each line is reserved. */
interface ReservedOrder {
  status: string;
  lines: Array<{ sku: string; allocation: Array<{ warehouse: string; qty: number }> }>;
}

/** An order's transitions after placement: cancel, ship, confirm receipt and after-sales. */
export function orderLifecycleRoutes(deps: OrderLifecycleRouteDeps) {
  return (kit: GatewayKit) => {
    /**
     * The warehouse with bins the order's lines are reserved in, with its lines; null when none has bins
     * (the order ships on the SKU actors as before). Lines in two warehouses with bins: 409 (waves).
     */
    const binWarehouse = async (c: Context, orderId: string) => {
      const order = await kit.command<ReservedOrder>(
        c,
        "order",
        orderId,
        { type: "get" },
        { readOnly: true },
      );
      const byWarehouse = new Map<string, Array<{ sku: string; qty: number }>>();
      for (const line of order.lines)
        for (const a of line.allocation) {
          if (a.qty <= 0) continue;
          const lines = byWarehouse.get(a.warehouse) ?? [];
          lines.push({ sku: line.sku, qty: a.qty });
          byWarehouse.set(a.warehouse, lines);
        }
      const withBins: Array<{ warehouse: string; lines: Array<{ sku: string; qty: number }> }> = [];
      for (const [warehouse, lines] of byWarehouse) {
        const bins = warehouses.binCount(warehouse);
        const layout = await kit.command<{ bins: number }>(c, bins.to.kind, bins.to.id, bins.cmd, {
          readOnly: true,
        });
        if (layout.bins > 0) withBins.push({ warehouse, lines });
      }
      if (withBins.length > 1)
        throw new ProblemError(
          409,
          "conflict",
          `order ${orderId} is reserved in several warehouses with bins (${withBins.map((w) => w.warehouse).join(", ")}): ship it through waves and handover`,
          { orderId },
        );
      return withBins[0] ?? null;
    };
    /** A POST that becomes one order command; retries with the same Idempotency-Key are safe. */
    const post = (
      {
        reply,
        ...doc
      }: {
        path: string;
        summary: string;
        permission: string;
        body?: z.ZodType;
        reply: z.ZodType;
        responses?: RouteDoc["responses"];
      },
      toCommand: (c: Context) => Promise<ActorCommand> | ActorCommand,
    ) =>
      kit.define(
        {
          method: "post",
          tag: "Orders",
          idempotencyKey: "optional",
          ...doc,
          response: { status: 200, schema: reply, description: "What the order actor did" },
        },
        async (c) => {
          const id = parseParam(c.req.param("orderId"), codeSchema, "orderId");
          await guardOrderCommand(c, id, () => kit.read(c, "order", id));
          const idempotency = optionalIdempotency(c);
          const cmd = await toCommand(c);
          if (cmd.type === "decideAfterSales" && cmd.approve === true) {
            const held = await holdRefund(kit, deps.approvals, c, id, cmd.note as string | undefined);
            if (held) return held;
          }
          return c.json(await kit.command(c, "order", id, cmd, idempotency(cmd.type, cmd)));
        },
      );
    const transition = <S extends z.ZodType>(
      doc: {
        path: string;
        summary: string;
        permission: string;
        reply: z.ZodType;
        responses?: RouteDoc["responses"];
      },
      body: S,
      toCommand: (parsed: z.infer<S>) => ActorCommand,
    ) => post({ ...doc, body }, async (c) => toCommand(await parseBody(c, body)));

    transition(
      {
        path: "/v1/orders/:orderId/cancel",
        summary: "Cancel an unpaid order (releases its stock)",
        permission: "order:write",
        reply: transitionReply.cancel,
      },
      cancelBody,
      (b) => ({ type: "cancel", reason: b.reason }),
    );
    kit.define(
      {
        method: "post",
        path: "/v1/orders/:orderId/ship",
        summary:
          "Ship: deducts the reserved stock (in a warehouse with bins, picks the units from its bins first; 409 bins-short when they cannot cover it)",
        tag: "Orders",
        permission: "order:fulfil",
        body: shipBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: transitionReply.ship, description: "What the order actor did" },
      },
      async (c) => {
        const id = parseParam(c.req.param("orderId"), codeSchema, "orderId");
        const idempotency = optionalIdempotency(c);
        const b = await parseBody(c, shipBody);
        const cmd: ActorCommand = {
          type: "ship",
          carrier: b.carrier,
          ...(b.trackingNo ? { trackingNo: b.trackingNo } : {}),
          autoCompleteMs: deps.autoCompleteMs,
        };
        const binned = await binWarehouse(c, id);
        if (binned === null)
          return c.json(await kit.command(c, "order", id, cmd, idempotency(cmd.type, cmd)));
        // Bins = physical (decision 0027): the warehouse actor picks the units out of its bins and ships
        // the order as a handover does, one writer, once per command id.
        const call = warehouses.shipFromBins(binned.warehouse, {
          waveId: waveIdFor(binned.warehouse, `ship:${id}`),
          orderId: id,
          lines: binned.lines,
          carrier: b.carrier,
          ...(b.trackingNo ? { trackingNo: b.trackingNo } : {}),
          autoCompleteMs: deps.autoCompleteMs,
        });
        try {
          return c.json(await kit.command(c, call.to.kind, call.to.id, call.cmd, idempotency(cmd.type, cmd)));
        } catch (error) {
          if (
            error instanceof ProblemError &&
            error.slug === "conflict" &&
            error.extra.reason === "bins_short"
          ) {
            const { reason: _r, ...extra } = error.extra;
            throw new ProblemError(409, "bins-short", error.message, extra);
          }
          throw error;
        }
      },
    );
    post(
      {
        path: "/v1/orders/:orderId/confirm-receipt",
        summary: "Confirm receipt (completes the order)",
        permission: "order:write",
        reply: transitionReply.confirm,
      },
      () => ({ type: "confirmReceipt" }),
    );
    transition(
      {
        path: "/v1/orders/:orderId/after-sales",
        summary: "Request a refund or a return",
        permission: "order:write",
        reply: transitionReply.afterSales,
      },
      afterSalesBody,
      (b) => ({ type: "requestAfterSales", ...b }),
    );
    transition(
      {
        path: "/v1/orders/:orderId/after-sales/decision",
        summary: "Approve or reject an after-sales request",
        permission: "order:approve",
        reply: transitionReply.decision,
        responses: [PENDING_APPROVAL_RESPONSE],
      },
      decisionBody,
      (b) => ({ type: "decideAfterSales", ...b }),
    );
    transition(
      {
        path: "/v1/orders/:orderId/after-sales/receive",
        summary: "Receive returned goods (restock or scrap) and refund",
        permission: "order:fulfil",
        reply: transitionReply.receive,
      },
      receiveBody,
      (b) => ({ type: "receiveReturn", ...b }),
    );
  };
}
