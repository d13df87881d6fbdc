/**
 * An in-memory `Catalogue` port for route tests: the same rules as the Postgres store (tree without
 * cycles, delete only when unused, specs checked against the template, one product per SKU), without
 * history rows beyond a list of what changed.
 */
import { checkSkuSpecs } from "../actors/product/index.ts";
import { CatalogueError } from "../storage/catalogue/errors.ts";
import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import type {
  Catalogue,
  CatalogueHistoryItem,
  Category,
  CategoryInput,
  ProductInput,
  ProductRecord,
} from "./ports.ts";

const EPOCH = new Date(0).toISOString();

export class MemoryCatalogue implements Catalogue {
  readonly categories = new Map<string, Category>();
  readonly products = new Map<string, ProductRecord>();
  readonly changes: CatalogueHistoryItem[] = [];

  async putCategory(input: CategoryInput) {
    const existing = this.categories.get(input.code);
    if (existing && existing.kind !== input.kind)
      throw new CatalogueError("conflict", "kind differs", "kind");
    if (input.parent !== null) {
      const parent = this.categories.get(input.parent);
      if (!parent || parent.kind !== input.kind) throw new CatalogueError("invalid", "bad parent", "parent");
      for (let at: string | null = input.parent; at !== null; at = this.categories.get(at)?.parent ?? null)
        if (at === input.code) throw new CatalogueError("conflict", "cycle", "parent");
    }
    for (const [i, back] of input.backCategories.entries())
      if (this.categories.get(back)?.kind !== "back")
        throw new CatalogueError("invalid", `no back category ${back}`, `backCategories.${i}`);
    const category = { ...input, depth: 0, createdAt: existing?.createdAt ?? EPOCH, updatedAt: EPOCH };
    this.categories.set(input.code, category);
    return { created: !existing, category };
  }

  async listCategories(kind?: "back" | "front") {
    return [...this.categories.values()].filter((c) => !kind || c.kind === kind);
  }

  async deleteCategory(code: string) {
    if (!this.categories.has(code)) throw new CatalogueError("not-found", `no category ${code}`);
    const used =
      [...this.categories.values()].some((c) => c.parent === code) ||
      [...this.products.values()].some((p) => p.category === code);
    if (used) throw new CatalogueError("conflict", `category ${code} is in use`, "code");
    this.categories.delete(code);
  }

  async checkProduct(input: ProductInput) {
    const before = new Map(this.products);
    const changes = this.changes.length;
    try {
      return { created: (await this.putProduct(input, "dry-run")).created };
    } finally {
      this.products.clear();
      for (const [code, product] of before) this.products.set(code, product);
      this.changes.splice(0, this.changes.length - changes);
    }
  }

  async putProduct(input: ProductInput, by: string) {
    const category = this.categories.get(input.category);
    if (category?.kind !== "back")
      throw new CatalogueError("invalid", `no back category ${input.category}`, "category");
    const problem = checkSkuSpecs(category.specs, input.skus);
    if (problem) throw new CatalogueError("invalid", problem.message, problem.field);
    const owners = await this.spuOfSkus(input.skus.map((s) => s.sku));
    for (const [i, s] of input.skus.entries()) {
      const owner = owners.get(s.sku);
      if (owner !== undefined && owner !== input.spuCode)
        throw new CatalogueError("conflict", `SKU ${s.sku} belongs to ${owner}`, `skus.${i}.sku`);
    }
    const existing = this.products.get(input.spuCode);
    const product: ProductRecord = {
      spuCode: input.spuCode,
      name: input.name,
      category: input.category,
      brand: input.brand ?? null,
      description: input.description ?? null,
      attributes: input.attributes ?? {},
      media: input.media ?? [],
      seo: input.seo ? { ...input.seo, slug: input.seo.slug } : null,
      skus: input.skus.map((s) => ({
        sku: s.sku,
        specs: s.specs,
        listPrice: s.listPrice,
        barcode: s.barcode ?? null,
        weightGrams: s.weightGrams ?? null,
        volumeCm3: s.volumeCm3 ?? null,
      })),
      createdAt: existing?.createdAt ?? EPOCH,
      updatedAt: EPOCH,
    };
    this.products.set(input.spuCode, product);
    this.changes.unshift({
      at: EPOCH,
      by,
      kind: "product",
      spuCode: input.spuCode,
      sku: null,
      before: existing ?? null,
      after: product,
    });
    return { created: !existing, product };
  }

  async getProduct(spuCode: string) {
    return this.products.get(spuCode);
  }

  async history(spuCode: string, limit: number, cursor?: string) {
    if (cursor) throw new InvalidCursorError(cursor);
    return { items: this.changes.filter((h) => h.spuCode === spuCode).slice(0, limit), nextCursor: null };
  }

  async spuOfSkus(skus: string[]) {
    const out = new Map<string, string>();
    for (const p of this.products.values())
      for (const s of p.skus) if (skus.includes(s.sku)) out.set(s.sku, p.spuCode);
    return out;
  }
}
