import type { ProductEvent } from "../../actors/product/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The product actor's listing events → `products.status` / `products.scheduled` (for search, filters and
 * the dashboard; `GET /v1/products/{spu}` reads the actor instead) and `catalogue_history` rows of kind
 * 'listing' (by = the principal, or 'system:timer' for a scheduled change). A history row is keyed by
 * its event's place in the log (source_seq, source_idx), so a replayed batch adds nothing.
 */
export const listingProjection: ReadModelProjection = {
  name: "catalogue-listing",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "product") continue;
      for (const [idx, event] of (batch.ev as ProductEvent[]).entries())
        await applyListing(tx, ref.id, seq, idx, event);
    }
  },
};

async function applyListing(tx: ProjectionTx, spu: string, seq: number, idx: number, e: ProductEvent) {
  const history = (before: unknown, after: unknown) => tx`
    INSERT INTO catalogue_history (spu_code, kind, at, by, before, after, source_seq, source_idx)
    VALUES (${spu}, 'listing', ${new Date(e.at)}, ${e.by}, ${tx.json(before as never)}, ${tx.json(after as never)},
      ${seq}, ${idx})
    ON CONFLICT (source_seq, source_idx) DO NOTHING`;
  if (e.type === "listed") {
    const after =
      e.scheduledFor !== undefined ? { status: e.to, scheduledFor: iso(e.scheduledFor) } : { status: e.to };
    await history({ status: e.from }, after);
    await tx`UPDATE products SET status = ${e.to},
      scheduled = ${e.scheduledFor !== undefined ? null : tx`scheduled`} WHERE spu_code = ${spu}`;
  } else if (e.type === "scheduled") {
    const scheduled = { action: e.action, at: iso(e.due) };
    const [row] = await tx`SELECT scheduled FROM products WHERE spu_code = ${spu}`;
    await history({ scheduled: row?.scheduled ?? null }, { scheduled });
    await tx`UPDATE products SET scheduled = ${tx.json(scheduled)} WHERE spu_code = ${spu}`;
  } else {
    await history({ scheduled: { action: e.action, at: iso(e.due) } }, { scheduled: null, reason: e.reason });
    await tx`UPDATE products SET scheduled = NULL WHERE spu_code = ${spu}`;
  }
}
