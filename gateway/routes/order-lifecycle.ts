import type { Context } from "hono";
import type { z } from "zod";
import type { GatewayKit } from "../app.ts";
import { optionalIdempotency } from "../idempotency.ts";
import type { ActorCommand } from "../ports.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam } from "../validate.ts";
import { transitionReply } from "./order-responses.ts";
import { afterSalesBody, cancelBody, decisionBody, receiveBody, shipBody } from "./order-schemas.ts";

export interface OrderLifecycleRouteDeps {
  /** How long after shipment an order completes by itself when the buyer does not confirm receipt. */
  autoCompleteMs: number;
}

/** An order's transitions after placement: cancel, ship, confirm receipt and after-sales. */
export function orderLifecycleRoutes(deps: OrderLifecycleRouteDeps) {
  return (kit: GatewayKit) => {
    /** A POST that becomes one order command; retries with the same Idempotency-Key are safe. */
    const post = (
      {
        reply,
        ...doc
      }: { path: string; summary: string; permission: string; body?: z.ZodType; reply: z.ZodType },
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
          const idempotency = optionalIdempotency(c);
          const cmd = await toCommand(c);
          return c.json(await kit.command(c, "order", id, cmd, idempotency(cmd.type, cmd)));
        },
      );
    const transition = <S extends z.ZodType>(
      doc: { path: string; summary: string; permission: string; reply: z.ZodType },
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
    transition(
      {
        path: "/v1/orders/:orderId/ship",
        summary: "Ship: deducts the reserved stock",
        permission: "order:fulfil",
        reply: transitionReply.ship,
      },
      shipBody,
      (b) => ({
        type: "ship",
        carrier: b.carrier,
        ...(b.trackingNo ? { trackingNo: b.trackingNo } : {}),
        autoCompleteMs: deps.autoCompleteMs,
      }),
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
