import { statusAt } from "../actors/promotion/index.ts";
import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import type { CartFacts, NewPromotion, PromotionRecord, PromotionStore } from "./ports.ts";

/** Promotions in memory (gateway route tests); catalogue facts are set by the test in `facts`. */
export class MemoryPromotions implements PromotionStore {
  readonly rows: PromotionRecord[] = [];
  readonly facts = new Map<string, CartFacts>();
  async create(p: NewPromotion, audit: { by: string }) {
    const first = p.idempotency && this.rows.find((r) => r.id === p.idempotency?.id);
    if (first)
      return { created: false as const, promotion: first, fingerprint: p.idempotency?.fingerprint ?? "" };
    const { idempotency: _key, ...definition } = p;
    const promotion = { ...definition, id: `PRM${this.rows.length + 1}`, createdAt: 0, createdBy: audit.by };
    this.rows.push(promotion);
    return { created: true as const, promotion };
  }
  async get(id: string) {
    return this.rows.find((r) => r.id === id);
  }
  async list(filter: { status?: string; limit: number; cursor?: string; now: number }) {
    if (filter.cursor) throw new InvalidCursorError(filter.cursor);
    const items = [...this.rows]
      .reverse()
      .filter((r) => !filter.status || statusAt(r, filter.now) === filter.status);
    return { items: items.slice(0, filter.limit), nextCursor: null };
  }
  async end(id: string, at: number, audit: { by: string }) {
    const row = this.rows.find((r) => r.id === id);
    if (row && row.endedAt === undefined && at < row.endsAt)
      Object.assign(row, { endedAt: at, endedBy: audit.by });
    return row;
  }
  async live(at: number) {
    return this.rows.filter((r) => statusAt(r, at) === "active");
  }
  async cartFacts(skus: readonly string[]) {
    return new Map(
      skus.flatMap((sku) => (this.facts.has(sku) ? [[sku, this.facts.get(sku)!] as const] : [])),
    );
  }
}
