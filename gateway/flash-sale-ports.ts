/** What the flash-sale routes ask of the read model (bound to `storage/flash-sales/` `FlashSaleQueries` in node/). */

export type FlashSaleStatus = "allocating" | "failed" | "scheduled" | "active" | "ended";

/** One campaign as projected from its actor's events (may lag it by the projector's delay). */
export interface FlashSaleListItem {
  campaignId: string;
  name: string;
  sku: string;
  price: number;
  stock: number;
  perUserLimit: number;
  startsAt: string;
  endsAt: string;
  status: FlashSaleStatus;
  allocated: number;
  sold: number;
  remaining: number;
  refused: number;
  refusals: { soldOut: number; purchaseLimit: number; notActive: number; admission: number };
  returned: number | null;
  createdAt: string;
  endedAt: string | null;
  updatedAt: string;
}

/**
 * Flash-sale campaigns from the read model: the list route, and the promotions panel's progress figures
 * (sold / allocated, refused, returned) — decision 0023 says what the panel may read.
 */
export interface FlashSaleReadModel {
  /** Newest first; throws `InvalidCursorError` for a cursor it did not issue. */
  list(filter: {
    status?: FlashSaleStatus;
    sku?: string;
    limit: number;
    cursor?: string;
  }): Promise<{ items: FlashSaleListItem[]; nextCursor: string | null }>;
  /** Campaigns live now, or ended within `recentMs`: the panel's rows. */
  progress(recentMs?: number): Promise<FlashSaleListItem[]>;
}

/** Server-side admission limits of flash-sale orders (configuration, never the caller's). */
export interface FlashSaleAdmissionLimits {
  /** Orders of one campaign in flight on one gateway node before 429 `queue-full`. */
  queueMax: number;
  /** Orders of one campaign in flight on one gateway node per unit it has left (the queue's other bound). */
  queuePerUnit: number;
  /** Order attempts one buyer may make on one campaign per second before 429 `rate-limited`. */
  userRatePerSecond: number;
}
