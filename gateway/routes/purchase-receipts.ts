import { purchaseOrders } from "../../actors/purchasing/index.ts";
import { warehouses } from "../../actors/warehouse/index.ts";
import type { GatewayKit } from "../app.ts";
import { guardPurchaseOrderCommand } from "../data-scope.ts";
import { optionalIdempotency } from "../idempotency.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam } from "../validate.ts";
import { documentId, purchaseOrderProblem } from "./purchasing-helpers.ts";
import { receiptBody, receiptReply } from "./purchasing-schemas.ts";

interface RecordedReceipt {
  receiptId: string;
  warehouse: string;
  lines: Array<{ sku: string; acceptedQty: number; lot: string | null; expiresAt: string | null }>;
}

/**
 * Receiving against a purchase order (issue 12 item 4): the PO actor records accepted and rejected units
 * (never beyond ordered + tolerance; a payable, and a return-to-supplier record for rejected goods) and
 * settles their in-transit stock; then the accepted lines go to the WMS (`warehouses.registerReceipt`),
 * which suggests bins. They become physical stock when the putaway is confirmed there.
 */
export function purchaseReceiptRoutes() {
  return (kit: GatewayKit) => {
    kit.define(
      {
        method: "post",
        path: "/v1/purchase-orders/:poId/receipts",
        summary:
          "Receive goods against an approved PO: accepted and rejected units per line, lot and dates; answers the suggested putaway bins",
        tag: "Purchasing",
        permission: "purchase:receive",
        body: receiptBody,
        idempotencyKey: "optional",
        response: {
          status: 201,
          schema: receiptReply,
          description:
            "Recorded (a retry with the same key: the same receipt); 409 receipt-exceeds-order or purchase-order-state",
        },
      },
      async (c) => {
        const poId = parseParam(c.req.param("poId"), codeSchema, "poId");
        // Data scope (decision 0033): receiving against a PO outside the caller's scope is a 404.
        await guardPurchaseOrderCommand(c, poId, () =>
          kit.read<{ supplier: string; warehouse: string }>(c, purchaseOrders.kind, poId),
        );
        const key = idempotencyKey(c, false);
        const idempotency = optionalIdempotency(c);
        const body = await parseBody(c, receiptBody);
        const by = kit.meta(c).by ?? "anonymous";
        const receiptId = documentId("RC", key === undefined ? undefined : `${by}\u0000${poId}\u0000${key}`);
        const call = purchaseOrders.receive(poId, { receiptId, lines: body.lines });
        const recorded = await kit
          .command<RecordedReceipt>(c, call.to.kind, poId, call.cmd, idempotency("po-receipt", body))
          .catch(purchaseOrderProblem);
        // The hand-over is idempotent per receipt id: a retried request (same key) re-sends it harmlessly.
        const accepted = recorded.lines.filter((l) => l.acceptedQty > 0);
        let putaway: ReturnType<typeof warehouses.putawayReply>["putaway"] = [];
        if (accepted.length > 0) {
          const handover = warehouses.registerReceipt(recorded.warehouse, {
            receiptId: recorded.receiptId,
            lines: accepted.map((l) => ({
              sku: l.sku,
              qty: l.acceptedQty,
              ...(l.lot ? { lot: l.lot } : {}),
              ...(l.expiresAt ? { expiresAt: l.expiresAt } : {}),
            })),
          });
          const reply = await kit.command(c, handover.to.kind, handover.to.id, handover.cmd, {
            id: `receipt:${recorded.receiptId}`,
          });
          putaway = warehouses.putawayReply(reply).putaway;
        }
        return c.json({ ...recorded, putaway }, 201);
      },
    );
  };
}
