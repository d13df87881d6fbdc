import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { purchaseOrderCommandSchema } from "./po-commands.ts";
import type { supplierCommandSchema } from "./supplier.ts";

export type PurchaseOrderCommandInput = z.input<typeof purchaseOrderCommandSchema>;
export type SupplierCommandInput = z.input<typeof supplierCommandSchema>;

const po = commandBuilder<PurchaseOrderCommandInput>("purchase-order");
const supplier = commandBuilder<SupplierCommandInput>("supplier");

/**
 * The purchasing actors' public calls (the PO id and the supplier code are the actor ids).
 *
 * @example purchaseOrders.receive("PO-1", { receiptId: "RC-1", lines: [{ sku: "S", acceptedQty: 5 }] })
 */
export const purchaseOrders = {
  kind: "purchase-order" as const,
  create: po("create"),
  submit: po("submit"),
  approve: po("approve"),
  send: po("send"),
  receive: po("receive"),
  close: po("close"),
  cancel: po("cancel"),
};

export const suppliers = {
  kind: "supplier" as const,
  upsert: supplier("upsert"),
  review: supplier("review"),
  recordReceipt: supplier("recordReceipt"),
};
