/** Logistics read models and the simulated carriers' store (migration 0024). */
export { IN_TRANSIT, logisticsPanel } from "./panel.ts";
export { shipmentProjection } from "./shipment-projection.ts";
export { ShipmentQueries } from "./shipment-queries.ts";
export { PostgresSimulatorStore } from "./sim-store.ts";
