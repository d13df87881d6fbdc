import type { PaymentEvent } from "../../actors/payment/index.ts";
import { captureTransaction, postTransaction, refundTransaction } from "../ledger/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

interface Posting {
  seq: number;
  idx: number;
  at: number;
  event: Extract<PaymentEvent, { type: "captured" | "refunded" }>;
}

/**
 * Money movements into the double-entry ledger: a captured payment and each refund become balanced
 * transactions, idempotent by id and by source position, in the projector's transaction. The payment's
 * order and channel come from the payments read model, projected earlier in the same transaction.
 */
export const ledgerProjection: ReadModelProjection = {
  name: "ledger",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    // Per payment, its postings in log order.
    const byPayment = new Map<string, Posting[]>();
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "payment") continue;
      for (let idx = 0; idx < batch.ev.length; idx++) {
        // The payment actor validated every event against its schema before appending it.
        const event = batch.ev[idx] as PaymentEvent;
        if (event.type !== "captured" && event.type !== "refunded") continue;
        const postings = byPayment.get(ref.id) ?? [];
        postings.push({ seq, idx, at: batch.at, event });
        byPayment.set(ref.id, postings);
      }
    }
    if (byPayment.size === 0) return;
    const rows = await tx`SELECT payment_id, order_id, channel FROM payments
      WHERE payment_id = ANY(${[...byPayment.keys()]}::text[])`;
    const facts = new Map(rows.map((r) => [r.payment_id as string, r]));
    // One payment's postings stay in order (a refund checks what the capture and earlier refunds left);
    // different payments touch different rows, so their statements are pipelined on the transaction's
    // connection instead of waiting a round trip each. Every chain settles before an error is raised,
    // so no statement of this transaction is still in flight when the projector rolls it back.
    const settled = await Promise.allSettled(
      [...byPayment].map(async ([paymentId, postings]) => {
        const payment = facts.get(paymentId);
        if (!payment) throw new Error(`ledger: payment ${paymentId} has no read-model row`);
        for (const { seq, idx, at, event: e } of postings) {
          const common = {
            paymentId,
            orderId: payment.order_id as string,
            channel: payment.channel as string,
            amount: e.amount,
            source: { seq, idx },
          };
          await postTransaction(
            tx,
            e.type === "captured"
              ? captureTransaction({ ...common, occurredAt: e.paidAt || new Date(at) })
              : refundTransaction({ ...common, refundId: e.refundId, occurredAt: new Date(e.at ?? at) }),
          );
        }
      }),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
  },
};
