/** The promotions' port (decision 0021), re-exported by `gateway/ports.ts`. */
import type { PromotionDefinition, PromotionStatus } from "../actors/promotion/index.ts";
import type { Page } from "./ports.ts";

export interface PromotionRecord extends PromotionDefinition {
  createdAt: number;
  createdBy: string;
  endedBy?: string;
}

export type NewPromotion = Omit<PromotionDefinition, "id" | "endedAt"> & {
  /** `promotion:<principal>:<key>` and the request fingerprint, when the caller sent an Idempotency-Key. */
  idempotency?: { id: string; fingerprint: string };
};

export type PromotionCreation =
  | { created: true; promotion: PromotionRecord }
  /** Another request with the same Idempotency-Key got there first. */
  | { created: false; promotion: PromotionRecord; fingerprint: string };

/** What scope needs to know of an SKU: its SPU, brand, and category with its ancestors (nearest first). */
export interface CartFacts {
  spu: string;
  brand?: string;
  categories: string[];
}

/**
 * Promotions in Postgres: each write in one transaction with its audit row, so an acknowledged write
 * applies to the very next quote or read. `list` throws `InvalidCursorError` for a foreign cursor.
 */
export interface PromotionStore {
  create(p: NewPromotion, audit: { by: string; requestId: string }): Promise<PromotionCreation>;
  get(id: string): Promise<PromotionRecord | undefined>;
  list(filter: {
    status?: PromotionStatus;
    limit: number;
    cursor?: string;
    now: number;
  }): Promise<Page<PromotionRecord>>;
  /** Ends it at `at` unless it has already ended (then it is returned as it is); undefined when unknown. */
  end(id: string, at: number, audit: { by: string; requestId: string }): Promise<PromotionRecord | undefined>;
  /** The promotions live at `at` (started, not over, not ended), highest priority first; at most `MAX_LIVE`. */
  live(at: number): Promise<PromotionRecord[]>;
  /** Catalogue facts of the SKUs that belong to a product (SKUs of no product are absent). One query. */
  cartFacts(skus: readonly string[]): Promise<Map<string, CartFacts>>;
}
