import { carrierCatalogue } from "../actors/carrier/index.ts";
import type { FreightTemplate, FreightTemplateInput } from "../actors/freight/index.ts";
import type { FreightPorts, FreightTemplateRecord, FreightTemplateStore } from "./freight-ports.ts";

/** Freight templates in memory (gateway unit tests). */
export class MemoryFreightTemplates implements FreightTemplateStore {
  readonly templates = new Map<string, FreightTemplateRecord>();
  async put(code: string, t: FreightTemplateInput) {
    const now = new Date().toISOString();
    const before = this.templates.get(code);
    const template = { ...t, code, createdAt: before?.createdAt ?? now, updatedAt: now };
    this.templates.set(code, template);
    return { created: before === undefined, template };
  }
  async get(code: string) {
    return this.templates.get(code);
  }
  async list(filter: { limit: number; after?: string; warehouse?: string }) {
    return [...this.templates.values()]
      .filter(
        (t) =>
          (filter.after === undefined || t.code > filter.after) &&
          (filter.warehouse ?? t.warehouse) === t.warehouse,
      )
      .sort((a, b) => a.code.localeCompare(b.code))
      .slice(0, filter.limit);
  }
  async delete(code: string) {
    return this.templates.delete(code);
  }
  async forWarehouses(warehouses: readonly string[]): Promise<FreightTemplate[]> {
    return [...this.templates.values()].filter((t) => warehouses.includes(t.warehouse));
  }
}

/** Freight ports for the fake gateway: no SKU dimensions, no warehouse regions, the simulated carriers. */
export function memoryFreight(): FreightPorts {
  return {
    freightTemplates: new MemoryFreightTemplates(),
    skuDimensions: async () => new Map(),
    warehouseRegions: async () => new Map(),
    carriers: carrierCatalogue(),
  };
}
