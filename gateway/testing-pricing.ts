import { noRules, type PriceRules } from "../actors/pricing/index.ts";
import type { PriceRuleStore, SkuPricing } from "./ports.ts";

/** Price rules in memory, over the list prices of a `MemoryPriceBook` (its `prices` map). */
export class MemoryPriceRules implements PriceRuleStore {
  readonly rules = new Map<string, PriceRules>();
  readonly #listPrices: ReadonlyMap<string, number>;
  constructor(listPrices: ReadonlyMap<string, number>) {
    this.#listPrices = listPrices;
  }
  async replace(sku: string, rules: PriceRules) {
    this.rules.set(sku, rules);
    return rules;
  }
  async read(sku: string): Promise<SkuPricing> {
    return { listPrice: this.#listPrices.get(sku) ?? null, rules: this.rules.get(sku) ?? noRules() };
  }
  async pricing(skus: readonly string[]) {
    return new Map(await Promise.all(skus.map(async (sku) => [sku, await this.read(sku)] as const)));
  }
}
