import type { PaymentEvent } from "../../actors/payment/index.ts";
import {
  captureTransaction,
  type PostTransactionInput,
  postTransactions,
  refundTransaction,
} from "../ledger/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

interface Posting {
  paymentId: string;
  seq: number;
  idx: number;
  at: number;
  event: Extract<PaymentEvent, { type: "captured" | "refunded" }>;
}

/**
 * Money movements into the double-entry ledger: a captured payment and each refund become balanced
 * transactions, idempotent by id and by source position, in the projector's transaction. The payment's
 * order and channel come from the payments read model, projected earlier in the same transaction.
 *
 * A flush costs a fixed number of statements whatever its size (the payments in one query, the
 * captures posted together); only refunds go one by one, after the captures they draw on.
 */
export const ledgerProjection: ReadModelProjection = {
  name: "ledger",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    const postings: Posting[] = [];
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "payment") continue;
      for (let idx = 0; idx < batch.ev.length; idx++) {
        // The payment actor validated every event against its schema before appending it.
        const event = batch.ev[idx] as PaymentEvent;
        if (event.type !== "captured" && event.type !== "refunded") continue;
        postings.push({ paymentId: ref.id, seq, idx, at: batch.at, event });
      }
    }
    if (postings.length === 0) return;
    const ids = [...new Set(postings.map((p) => p.paymentId))];
    const rows =
      await tx`SELECT payment_id, order_id, channel FROM payments WHERE payment_id = ANY(${ids}::text[])`;
    const payments = new Map(rows.map((r) => [r.payment_id as string, r]));
    const inputs: PostTransactionInput[] = postings.map(({ paymentId, seq, idx, at, event: e }) => {
      const payment = payments.get(paymentId);
      if (!payment) throw new Error(`ledger: payment ${paymentId} has no read-model row`);
      const facts = {
        paymentId,
        orderId: payment.order_id as string,
        channel: payment.channel as string,
        amount: e.amount,
        source: { seq, idx },
      };
      return e.type === "captured"
        ? captureTransaction({ ...facts, occurredAt: e.paidAt || new Date(at) })
        : refundTransaction({ ...facts, refundId: e.refundId, occurredAt: new Date(e.at ?? at) });
    });
    await postTransactions(tx, inputs);
  },
};
