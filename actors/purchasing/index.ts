import { defineKind } from "../runtime/index.ts";
import { onPurchaseOrderEffect, purchaseOrderHandlers } from "./po-actor.ts";
import { type PurchaseOrderCommand, purchaseOrderCommandSchema } from "./po-commands.ts";
import { type PurchaseOrderEvent, purchaseOrderEventSchema } from "./po-events.ts";
import {
  applyPurchaseOrderEvent,
  encodePurchaseOrder,
  initialPurchaseOrder,
  type PurchaseOrderState,
  purchaseOrderStateSchema,
} from "./po-state.ts";

/**
 * The purchase-order actor (kind "purchase-order", id = PO id): draft → submitted → approved (a second
 * operator above the configured amount) → sent → partially received → received → closed, or cancelled.
 * Approval puts the ordered quantities in transit on the SKU actors; receipts take them out again.
 */
export const purchaseOrderKind = defineKind<PurchaseOrderState, PurchaseOrderCommand, PurchaseOrderEvent>({
  name: "purchase-order",
  commands: purchaseOrderCommandSchema,
  events: purchaseOrderEventSchema,
  state: purchaseOrderStateSchema,
  encodeState: encodePurchaseOrder,
  initialState: initialPurchaseOrder,
  apply: applyPurchaseOrderEvent,
  handlers: purchaseOrderHandlers,
  readOnly: ["get"],
  onEffect: onPurchaseOrderEffect,
});

export { purchaseApproval } from "./approval.ts";
export {
  type PurchaseOrderCommandInput,
  purchaseOrders,
  type SupplierCommandInput,
  suppliers,
} from "./calls.ts";
export { PLAN_DEFAULTS, type PlanInput, type PlanSuggestion, suggestPurchase } from "./plan.ts";
export { type PurchaseOrderRefusal, purchaseOrderHandlers } from "./po-actor.ts";
export {
  MAX_PO_LINES,
  type PurchaseOrderCommand,
  poLineSchema,
  purchaseOrderCommandSchema,
  type ReceiptLine,
  receiptLineSchema,
} from "./po-commands.ts";
export { type PurchaseOrderEvent, purchaseOrderEventSchema } from "./po-events.ts";
export {
  acceptLimit,
  applyPurchaseOrderEvent,
  initialPurchaseOrder,
  type PurchaseOrderState,
  type PurchaseOrderStatus,
  poTotal,
  purchaseOrderView,
} from "./po-state.ts";
export { RATING_WEIGHTS, type SupplierGrade, type SupplierRating, supplierRating } from "./rating.ts";
export {
  DEFAULT_PURCHASING_SETTINGS,
  MAX_TOLERANCE_PERCENT,
  PURCHASING_SETTINGS_ID,
  type PurchasingSettings,
  purchasingSettingsKind,
  purchasingSettingsSchema,
} from "./settings.ts";
export {
  applySupplierEvent,
  initialSupplierState,
  MAX_LEAD_TIME_DAYS,
  MAX_SUPPLIER_SKUS,
  type SupplierCommand,
  type SupplierEvent,
  type SupplierProfile,
  type SupplierState,
  type SupplierStatus,
  supplierHandlers,
  supplierKind,
  supplierProfileSchema,
  supplierSkuSchema,
  supplierView,
} from "./supplier.ts";
