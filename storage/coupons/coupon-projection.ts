import type { CouponEvent } from "../../actors/coupon/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

/**
 * Coupon templates, issued coupons and per-template statistics, projected from the coupon-template actors'
 * events. Coupon rows are guarded by version (`version <= seq`: events of one batch share its sequence and
 * apply in order); template counters are deltas, applied once with the projector's offset.
 */
export const couponProjection: ReadModelProjection = {
  name: "coupons",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    // Issued in order without awaiting each: postgres.js pipelines them on the transaction's connection.
    const pending: Promise<unknown>[] = [];
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "coupon-template") continue;
      for (const event of batch.ev as CouponEvent[]) pending.push(applyEvent(tx, ref.id, seq, event));
    }
    await Promise.all(pending);
  },
};

async function applyEvent(tx: ProjectionTx, templateId: string, seq: number, e: CouponEvent): Promise<void> {
  switch (e.type) {
    case "created": {
      const t = e.template;
      await tx`INSERT INTO coupon_templates (template_id, name, kind, value, threshold, max_discount, total_quantity,
          per_user_limit, valid_from, valid_to, valid_days, scope, created_at, created_by)
        VALUES (${templateId}, ${t.name}, ${t.kind}, ${t.value}, ${t.threshold ?? null}, ${t.maxDiscount ?? null},
          ${t.totalQuantity}, ${t.perUserLimit}, ${new Date(t.validFrom)}, ${new Date(t.validTo)}, ${t.validDays ?? null},
          ${t.scope ? tx.json(t.scope) : null}, ${new Date(e.at)}, ${e.by})
        ON CONFLICT (template_id) DO NOTHING`;
      return;
    }
    case "issued":
      await tx`INSERT INTO coupons (coupon_id, template_id, user_id, source, status, issued_at, valid_from, valid_to, version)
        VALUES (${e.couponId}, ${templateId}, ${e.userId}, ${e.source}, 'available', ${new Date(e.at)},
          ${new Date(e.validFrom)}, ${new Date(e.validTo)}, ${seq})
        ON CONFLICT (coupon_id) DO NOTHING`;
      await tx`UPDATE coupon_templates SET issued = issued + 1,
          claimed = claimed + ${e.source === "claim" ? 1 : 0}, pushed = pushed + ${e.source === "push" ? 1 : 0}
        WHERE template_id = ${templateId}`;
      return;
    case "reserved":
      await tx`UPDATE coupons SET status = 'reserved', order_id = ${e.orderId}, discount = ${e.discount},
          amount = ${e.amount}, version = ${seq}
        WHERE coupon_id = ${e.couponId} AND version <= ${seq}`;
      return;
    case "committed":
      await tx`UPDATE coupon_templates t SET used = t.used + 1, gmv = t.gmv + COALESCE(c.amount, 0),
          discount_cost = t.discount_cost + COALESCE(c.discount, 0)
        FROM coupons c WHERE c.coupon_id = ${e.couponId} AND t.template_id = ${templateId}`;
      await tx`UPDATE coupons SET status = 'used', used_at = ${new Date(e.at)}, version = ${seq}
        WHERE coupon_id = ${e.couponId} AND version <= ${seq}`;
      return;
    case "released":
      await tx`UPDATE coupons SET status = 'available', order_id = NULL, discount = NULL, amount = NULL, version = ${seq}
        WHERE coupon_id = ${e.couponId} AND version <= ${seq}`;
      return;
    case "restored":
      await tx`UPDATE coupon_templates t SET used = t.used - 1, gmv = t.gmv - COALESCE(c.amount, 0),
          discount_cost = t.discount_cost - COALESCE(c.discount, 0)
        FROM coupons c WHERE c.coupon_id = ${e.couponId} AND t.template_id = ${templateId}`;
      await tx`UPDATE coupons SET status = 'available', order_id = NULL, discount = NULL, amount = NULL,
          used_at = NULL, version = ${seq}
        WHERE coupon_id = ${e.couponId} AND version <= ${seq}`;
      return;
    case "expired":
      await tx`UPDATE coupon_templates SET ended_at = ${new Date(e.at)} WHERE template_id = ${templateId}`;
      return;
  }
}
