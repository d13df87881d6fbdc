/** Freight templates in Postgres (migration 0023): the store behind the gateway's `FreightTemplateStore`. */
export { PostgresFreightTemplates, warehouseRegions } from "./template-store.ts";
