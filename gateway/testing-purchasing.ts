import type { PurchasingStore } from "./purchasing-ports.ts";

/** A purchasing store with nothing in it (route tests of other areas; purchasing is tested over a real node). */
export function emptyPurchasing(): PurchasingStore {
  return {
    suggestions: async () => [],
    createPlan: async (input) => ({
      planId: input.planId,
      warehouse: input.warehouse,
      trigger: "operator",
      status: "open",
      createdAt: new Date(0).toISOString(),
      createdBy: input.by,
      updatedAt: new Date(0).toISOString(),
      lines: [],
    }),
    plans: async () => [],
    plan: async () => null,
    changeLine: async () => ({ refused: "not_found", what: "plan" }),
    linkOrders: async () => null,
    purchaseOrders: async () => [],
    payables: async () => [],
    suppliers: async () => [],
  };
}
