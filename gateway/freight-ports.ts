/** What the freight routes and checkout ask of the rest of the system (bound in node/, faked in tests). */
import type { CarrierCatalogue, FreightTemplate, FreightTemplateInput } from "../actors/freight/index.ts";

export interface FreightTemplateRecord extends FreightTemplate {
  createdAt: string;
  updatedAt: string;
}

/** Freight templates in Postgres (migration 0023); each write audited in its transaction. */
export interface FreightTemplateStore {
  put(
    code: string,
    t: FreightTemplateInput,
    audit: { by: string; requestId: string },
  ): Promise<{ created: boolean; template: FreightTemplateRecord }>;
  get(code: string): Promise<FreightTemplateRecord | undefined>;
  list(filter: { limit: number; after?: string; warehouse?: string }): Promise<FreightTemplateRecord[]>;
  delete(code: string, audit: { by: string; requestId: string }): Promise<boolean>;
  /** The templates of these warehouses, by code. */
  forWarehouses(warehouses: readonly string[]): Promise<FreightTemplate[]>;
}

/** Everything routing an order reads besides the SKU actors' stock. */
export interface FreightPorts {
  freightTemplates: FreightTemplateStore;
  /** sku → weight (g) and volume (cm³) per unit (the product center; unset counts as 0). */
  skuDimensions(skus: readonly string[]): Promise<Map<string, { weightGrams: number; volumeCm3: number }>>;
  /** warehouse → its region as registered (a GB/T 2260 code gives it a distance). */
  warehouseRegions(codes: readonly string[]): Promise<Map<string, string>>;
  carriers: CarrierCatalogue;
}
