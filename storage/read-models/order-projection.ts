import type { OrderEvent } from "../../actors/order/index.ts";
import type { PaymentEvent } from "../../actors/payment/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

/** Orders and payments lists, projected from their actors' events (guarded by version = stream sequence). */
export const orderProjection: ReadModelProjection = {
  name: "orders",
  orderSensitive: ["order", "payment"],
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    // Queries are issued without waiting for each other: postgres.js pipelines them on the transaction's
    // connection in issue order, which keeps per-order ordering and saves a round trip per event.
    const pending: Promise<unknown>[] = [];
    for (const { seq, ref, batch } of batches) {
      if (ref.kind === "order") {
        for (const event of batch.ev as OrderEvent[]) pending.push(applyOrder(tx, ref.id, seq, event));
      } else if (ref.kind === "payment") {
        for (const event of batch.ev) pending.push(applyPayment(tx, ref.id, seq, event as PaymentEvent));
      }
    }
    await Promise.all(pending);
  },
};

async function applyOrder(tx: ProjectionTx, orderId: string, seq: number, e: OrderEvent): Promise<void> {
  if (e.type === "placed") {
    await tx`INSERT INTO orders (order_id, user_id, status, channel, skus, items_amount, discount_amount, freight_amount,
        total_amount, created_at, updated_at, version, region, created_by)
      VALUES (${orderId}, ${e.userId}, 'placing', ${e.channel}, ${e.lines.map((l) => l.sku)}, ${e.amounts.items},
        ${e.amounts.discount}, ${e.amounts.freight}, ${e.amounts.total}, ${new Date(e.at)}, ${new Date(e.at)}, ${seq},
        ${e.address.region}, ${e.by})
      ON CONFLICT (order_id) DO NOTHING`;
    return;
  }
  // The order's data-scope facts (decision 0033): where its stock is reserved, where it is delivered.
  if (e.type === "lineReserved") {
    // A union: replaying the batch changes nothing, and it does not move `version` (status events do).
    const reservedIn = [...new Set(e.allocation.map((a) => a.warehouse))];
    await tx`UPDATE orders SET warehouses = ARRAY(SELECT DISTINCT w FROM unnest(warehouses || ${reservedIn}::text[]) w ORDER BY w)
      WHERE order_id = ${orderId} AND NOT (warehouses @> ${reservedIn}::text[])`;
    return;
  }
  if (e.type === "addressChanged") {
    await tx`UPDATE orders SET region = ${e.address.region} WHERE order_id = ${orderId} AND version <= ${seq}`;
    return;
  }
  const status = STATUS_AFTER[e.type];
  if (e.type === "paid") {
    await tx`UPDATE orders SET status = ${e.status ?? "awaiting_shipment"}, paid_amount = ${e.amount}, payment_id = ${e.paymentId},
      paid_at = ${new Date(e.at)}, updated_at = ${new Date(e.at)}, projected_at = clock_timestamp(), version = ${seq}
      WHERE order_id = ${orderId} AND version < ${seq}`;
  } else if (e.type === "refunded") {
    await tx`UPDATE orders SET refunded_amount = refunded_amount + ${e.amount},
      status = COALESCE(${e.status ?? null}::text, CASE WHEN status = 'return_requested' THEN 'returned' ELSE 'refunded' END),
      updated_at = ${new Date(e.at)}, version = ${seq} WHERE order_id = ${orderId} AND version < ${seq}`;
  } else if (e.type === "afterSalesRequested") {
    const requested = e.kind === "refund_only" ? "refund_requested" : "return_requested";
    await tx`UPDATE orders SET status_before_after_sales = status, status = ${requested}, updated_at = ${new Date(e.at)},
      projected_at = clock_timestamp(), version = ${seq} WHERE order_id = ${orderId} AND version < ${seq}`;
  } else if (e.type === "afterSalesDecided" && !e.approved) {
    await tx`UPDATE orders SET status = COALESCE(status_before_after_sales, status), updated_at = ${new Date(e.at)},
      projected_at = clock_timestamp(), version = ${seq} WHERE order_id = ${orderId} AND version < ${seq}`;
  } else if (status) {
    const at = "at" in e ? new Date(e.at) : new Date();
    await tx`UPDATE orders SET status = ${status}, updated_at = ${at}, projected_at = clock_timestamp(), version = ${seq}
      WHERE order_id = ${orderId} AND version < ${seq}`;
  }
}

const STATUS_AFTER: Partial<Record<OrderEvent["type"], string>> = {
  awaitingPayment: "pending_payment",
  placementFailed: "cancelled",
  cancelled: "cancelled",
  shipped: "shipped",
  delivered: "delivered",
  completed: "completed",
  groupFormed: "awaiting_shipment",
  depositPaid: "awaiting_balance",
  depositForfeited: "cancelled",
  groupFailed: "refund_requested",
};

async function applyPayment(
  tx: ProjectionTx,
  paymentId: string,
  seq: number,
  e: PaymentEvent,
): Promise<void> {
  const at = new Date(e.at ?? Date.now());
  if (e.type === "created") {
    await tx`INSERT INTO payments (payment_id, order_id, user_id, channel, amount, status, created_at, updated_at, version)
      VALUES (${paymentId}, ${e.orderId}, ${e.userId}, ${e.channel}, ${e.amount},
        'created', ${at}, ${at}, ${seq}) ON CONFLICT (payment_id) DO NOTHING`;
  } else if (e.type === "captured") {
    await tx`UPDATE payments SET status = 'paid', channel_txn_id = ${e.channelTxnId}, updated_at = ${at}, version = ${seq}
      WHERE payment_id = ${paymentId} AND version < ${seq}`;
  } else if (e.type === "failed") {
    await tx`UPDATE payments SET status = 'failed', updated_at = ${at}, version = ${seq} WHERE payment_id = ${paymentId} AND version < ${seq}`;
  } else if (e.type === "callbackRejected") {
    await tx`UPDATE payments SET rejected_callbacks = rejected_callbacks + 1, updated_at = ${at}, version = ${seq}
      WHERE payment_id = ${paymentId} AND version < ${seq}`;
  } else if (e.type === "refunded") {
    await tx`UPDATE payments SET refunded_amount = refunded_amount + ${e.amount},
      status = CASE WHEN refunded_amount + ${e.amount} >= amount THEN 'refunded' ELSE 'partially_refunded' END,
      updated_at = ${at}, version = ${seq} WHERE payment_id = ${paymentId} AND version < ${seq}`;
  }
}
