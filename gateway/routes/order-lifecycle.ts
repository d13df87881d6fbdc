import type { Context } from "hono";
import type { z } from "zod";
import type { GatewayKit } from "../app.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { ActorCommand } from "../ports.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam } from "../validate.ts";
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
      doc: { path: string; summary: string; permission: string; body?: z.ZodType },
      toCommand: (c: Context) => Promise<ActorCommand> | ActorCommand,
    ) =>
      kit.define({ method: "post", tag: "Orders", idempotencyKey: "optional", ...doc }, async (c) => {
        const id = parseParam(c.req.param("orderId"), codeSchema, "orderId");
        const key = idempotencyKey(c, false);
        const cmd = await toCommand(c);
        const options = key
          ? idempotentCommand(c, cmd.type, key, cmd)
          : { id: `${cmd.type}:${crypto.randomUUID()}` };
        return c.json(await kit.command(c, "order", id, cmd, options));
      });
    const transition = <S extends z.ZodType>(
      path: string,
      summary: string,
      permission: string,
      body: S,
      toCommand: (parsed: z.infer<S>) => ActorCommand,
    ) => post({ path, summary, permission, body }, async (c) => toCommand(await parseBody(c, body)));

    transition(
      "/v1/orders/:orderId/cancel",
      "Cancel an unpaid order (releases its stock)",
      "order:write",
      cancelBody,
      (b) => ({ type: "cancel", reason: b.reason }),
    );
    transition(
      "/v1/orders/:orderId/ship",
      "Ship: deducts the reserved stock",
      "order:fulfil",
      shipBody,
      (b) => ({
        type: "ship",
        carrier: b.carrier,
        trackingNo: b.trackingNo,
        autoCompleteMs: deps.autoCompleteMs,
      }),
    );
    post(
      {
        path: "/v1/orders/:orderId/confirm-receipt",
        summary: "Confirm receipt (completes the order)",
        permission: "order:write",
      },
      () => ({ type: "confirmReceipt" }),
    );
    transition(
      "/v1/orders/:orderId/after-sales",
      "Request a refund or a return",
      "order:write",
      afterSalesBody,
      (b) => ({ type: "requestAfterSales", ...b }),
    );
    transition(
      "/v1/orders/:orderId/after-sales/decision",
      "Approve or reject an after-sales request",
      "order:approve",
      decisionBody,
      (b) => ({ type: "decideAfterSales", ...b }),
    );
    transition(
      "/v1/orders/:orderId/after-sales/receive",
      "Receive returned goods (restock or scrap) and refund",
      "order:fulfil",
      receiveBody,
      (b) => ({ type: "receiveReturn", ...b }),
    );
  };
}
