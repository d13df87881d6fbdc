import type { FlashSaleEvent } from "../../actors/flash-sale/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

/**
 * Flash-sale campaigns and their figures, projected from the flash-sale actors' events (decision 0023).
 * Counters are deltas, applied once with the projector's offset (as the coupon templates' are).
 */
export const flashSaleProjection: ReadModelProjection = {
  name: "flash-sales",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    const pending: Promise<unknown>[] = [];
    for (const { ref, batch } of batches) {
      if (ref.kind !== "flash-sale") continue;
      const at = new Date(batch.at);
      for (const event of batch.ev as FlashSaleEvent[]) pending.push(applyEvent(tx, ref.id, at, event));
    }
    await Promise.all(pending);
  },
};

async function applyEvent(tx: ProjectionTx, id: string, at: Date, e: FlashSaleEvent): Promise<void> {
  switch (e.type) {
    case "created": {
      const c = e.campaign;
      await tx`INSERT INTO flash_sales (campaign_id, name, sku, price, stock, per_user_limit, starts_at, ends_at,
          status, created_at, created_by, updated_at)
        VALUES (${id}, ${c.name}, ${c.sku}, ${c.price}, ${c.stock}, ${c.perUserLimit}, ${new Date(c.startsAt)},
          ${new Date(c.endsAt)}, 'allocating', ${new Date(e.at)}, ${e.by}, ${at})
        ON CONFLICT (campaign_id) DO NOTHING`;
      return;
    }
    case "allocated":
      await tx`UPDATE flash_sales SET allocated = ${e.lines.reduce((n, l) => n + l.qty, 0)},
          status = CASE WHEN status = 'allocating' THEN 'scheduled' ELSE status END, updated_at = ${at}
        WHERE campaign_id = ${id}`;
      return;
    case "allocationFailed":
      await tx`UPDATE flash_sales SET status = 'failed', updated_at = ${at} WHERE campaign_id = ${id}`;
      return;
    case "started":
      await tx`UPDATE flash_sales SET status = 'active', updated_at = ${at}
        WHERE campaign_id = ${id} AND status IN ('allocating', 'scheduled')`;
      return;
    case "held":
      await tx`UPDATE flash_sales SET sold = sold + ${e.qty}, updated_at = ${at} WHERE campaign_id = ${id}`;
      return;
    case "holdFailed":
    case "released":
      // The order's units count back to the campaign.
      await tx`UPDATE flash_sales SET sold = sold - ${e.qty}, updated_at = ${at} WHERE campaign_id = ${id}`;
      return;
    case "refused": {
      const col =
        e.reason === "sold-out"
          ? tx`refused_sold_out = refused_sold_out + 1`
          : e.reason === "purchase-limit-reached"
            ? tx`refused_limit = refused_limit + 1`
            : tx`refused_not_active = refused_not_active + 1`;
      await tx`UPDATE flash_sales SET refused = refused + 1, ${col}, updated_at = ${at} WHERE campaign_id = ${id}`;
      return;
    }
    case "admissionTallied": {
      const c = e.counts;
      const admission = c.rateLimited + c.queueFull + c.duplicate;
      await tx`UPDATE flash_sales SET refused = refused + ${admission + c.soldOut + c.notActive},
          refused_sold_out = refused_sold_out + ${c.soldOut}, refused_not_active = refused_not_active + ${c.notActive},
          refused_admission = refused_admission + ${admission}, updated_at = ${at}
        WHERE campaign_id = ${id}`;
      return;
    }
    case "ended":
      await tx`UPDATE flash_sales SET status = 'ended', ended_at = ${new Date(e.at)}, updated_at = ${at}
        WHERE campaign_id = ${id}`;
      return;
    case "returned":
      await tx`UPDATE flash_sales SET returned = ${e.qty}, updated_at = ${at} WHERE campaign_id = ${id}`;
      return;
    case "confirmed":
    case "releaseSettled":
      return;
  }
}
