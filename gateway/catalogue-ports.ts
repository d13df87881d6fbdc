/** The catalogue's port (categories, products, SKUs, history): see `gateway/ports.ts`, which re-exports it. */
import type { Page } from "./ports.ts";

/** A category as `PUT /v1/categories/{code}` sends it (defaults filled in). */
export interface CategoryInput {
  code: string;
  name: string;
  kind: "back" | "front";
  parent: string | null;
  /** Front categories only: the back categories they show. */
  backCategories: string[];
  /** Back categories only: the spec template their products' SKUs follow. */
  specs: Array<{ name: string; values: string[] }>;
}

export interface Category extends CategoryInput {
  /** 0 for a root; lists come in tree order (depth first, siblings by code). */
  depth: number;
  createdAt: string;
  updatedAt: string;
}

export interface ProductSkuInput {
  sku: string;
  /** Spec name → value; a null-prototype record (names come from outside). */
  specs: Record<string, string>;
  listPrice: number;
  barcode?: string | undefined;
  weightGrams?: number | undefined;
  volumeCm3?: number | undefined;
}

export interface ProductInput {
  spuCode: string;
  name: string;
  category: string;
  brand?: string | undefined;
  description?: string | undefined;
  attributes?: Record<string, string> | undefined;
  media?: string[] | undefined;
  seo?: ProductSeo | undefined;
  skus: ProductSkuInput[];
}

export interface ProductRecord {
  spuCode: string;
  name: string;
  category: string;
  brand: string | null;
  description: string | null;
  attributes: Record<string, string>;
  media: string[];
  seo: ProductSeo | null;
  skus: Array<{
    sku: string;
    specs: Record<string, string>;
    listPrice: number | null;
    barcode: string | null;
    weightGrams: number | null;
    volumeCm3: number | null;
  }>;
  createdAt: string;
  updatedAt: string;
}

export interface CatalogueHistoryItem {
  at: string;
  by: string;
  kind: string;
  spuCode: string | null;
  sku: string | null;
  before: unknown;
  after: unknown;
}

/**
 * The catalogue's reference data (Postgres): categories, products and their SKUs, each write in one
 * transaction with its history row, so the next read shows it. Refuses with `CatalogueError`
 * (storage/catalogue/errors.ts); `history` throws `InvalidCursorError` for a foreign cursor.
 */
export interface Catalogue {
  putCategory(
    input: CategoryInput,
    by: string,
    requestId: string,
  ): Promise<{ created: boolean; category: Category }>;
  listCategories(kind?: "back" | "front"): Promise<Category[]>;
  deleteCategory(code: string, by: string, requestId: string): Promise<void>;
  putProduct(
    input: ProductInput,
    by: string,
    requestId: string,
  ): Promise<{ created: boolean; product: ProductRecord }>;
  /** Judges a `putProduct` without keeping it (every check of the real write, rolled back). */
  checkProduct(input: ProductInput, by: string, requestId: string): Promise<{ created: boolean }>;
  getProduct(spuCode: string): Promise<ProductRecord | undefined>;
  history(spuCode: string, limit: number, cursor?: string): Promise<Page<CatalogueHistoryItem>>;
  /** sku → spuCode for the SKUs that belong to a product (one query). */
  spuOfSkus(skus: string[]): Promise<Map<string, string>>;
}

/** A product's SEO fields (decision 0039): its slug is unique; a changed slug leaves a redirect. */
export interface ProductSeo {
  slug: string;
  title?: string | undefined;
  description?: string | undefined;
  canonical?: string | undefined;
  ogTitle?: string | undefined;
  ogDescription?: string | undefined;
  ogImage?: string | undefined;
}
