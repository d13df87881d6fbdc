import type { PaymentEvent } from "../../actors/payment/index.ts";
import { captureTransaction, postTransaction, refundTransaction } from "../ledger/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

/**
 * Money movements into the double-entry ledger: a captured payment and each refund become balanced
 * transactions, idempotent by id and by source position, in the projector's transaction. The payment's
 * order and channel come from the payments read model, projected earlier in the same transaction.
 */
export const ledgerProjection: ReadModelProjection = {
  name: "ledger",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "payment") continue;
      for (let idx = 0; idx < batch.ev.length; idx++) {
        // The payment actor validated every event against its schema before appending it.
        const e = batch.ev[idx] as PaymentEvent;
        if (e.type !== "captured" && e.type !== "refunded") continue;
        const [payment] = await tx`SELECT order_id, channel FROM payments WHERE payment_id = ${ref.id}`;
        if (!payment) throw new Error(`ledger: payment ${ref.id} has no read-model row`);
        const facts = {
          paymentId: ref.id,
          orderId: payment.order_id as string,
          channel: payment.channel as string,
          amount: e.amount,
          source: { seq, idx },
        };
        await postTransaction(
          tx,
          e.type === "captured"
            ? captureTransaction({ ...facts, occurredAt: e.paidAt || new Date(batch.at) })
            : refundTransaction({ ...facts, refundId: e.refundId, occurredAt: new Date(e.at ?? batch.at) }),
        );
      }
    }
  },
};
