/** Purchasing's read models: the projection of supplier, purchase-order and low-stock events; plans. */
export { planInputs } from "./plan-inputs.ts";
export { insertPlan, type PlanRecord, PostgresPurchasing } from "./plan-store.ts";
export { purchasingProjection } from "./purchasing-projection.ts";
