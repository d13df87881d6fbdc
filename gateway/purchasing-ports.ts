/** What the purchasing routes ask of Postgres (bound to `storage/purchasing/` in node/). */
import type { ScopeFilter } from "../actors/permissions/index.ts";

export type PlanLineStatus = "suggested" | "confirmed" | "dropped";

export interface PlanReasoning {
  soldUnits: number;
  windowDays: number;
  dailyVelocity: number;
  leadTimeDays: number | null;
  coverDays: number;
  demand: number;
  safetyStock: number;
  sellable: number;
  inTransit: number;
  position: number;
  target: number;
  text: string;
}

export interface PlanSuggestionItem {
  sku: string;
  warehouse: string;
  supplier: string | null;
  unitCost: number | null;
  suggestedQty: number;
  reasoning: PlanReasoning;
}

export interface PurchasePlanLine {
  sku: string;
  supplier: string | null;
  unitCost: number | null;
  suggestedQty: number;
  qty: number;
  status: PlanLineStatus;
  reasoning: PlanReasoning;
  poId: string | null;
}

export interface PurchasePlan {
  planId: string;
  warehouse: string;
  trigger: "operator" | "low_stock";
  status: "open" | "ordered";
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  lines: PurchasePlanLine[];
}

export type PlanLineChange =
  | { action: "confirm" }
  | { action: "drop" }
  | { action: "edit"; qty: number; supplier?: string };

/** Why a plan change was refused. */
export type PlanRefusal =
  | { refused: "not_found"; what: "plan" | "line" }
  | { refused: "plan_ordered" }
  | { refused: "supplier_not_listed"; supplier: string };

export interface PurchaseOrderListItem {
  poId: string;
  supplier: string;
  warehouse: string;
  status: string;
  total: number;
  planId: string | null;
  expectedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PayableItem {
  payableId: string;
  receiptId: string;
  poId: string;
  supplier: string;
  amount: number;
  status: string;
  createdAt: string;
}

export interface SupplierListItem {
  code: string;
  name: string;
  status: "pending" | "approved" | "suspended";
  receipts: number;
  updatedAt: string;
}

/**
 * Purchasing's read models and plans (Postgres). Plans hold suggestions computed from the order and
 * stock read models; lists may lag the actors by the projector's delay.
 */
export interface PurchasingStore {
  /** Live suggestions for a warehouse (only lines with something to buy unless `skus` names them). */
  suggestions(warehouse: string, skus?: string[]): Promise<PlanSuggestionItem[]>;
  /** Opens a plan with the current suggestions; the same `planId` again returns the plan as it is. */
  createPlan(input: {
    planId: string;
    warehouse: string;
    skus?: string[];
    by: string;
  }): Promise<PurchasePlan>;
  plans(filter: { warehouse?: string; status?: "open" | "ordered"; limit: number }): Promise<PurchasePlan[]>;
  plan(planId: string): Promise<PurchasePlan | null>;
  changeLine(planId: string, sku: string, change: PlanLineChange): Promise<PurchasePlan | PlanRefusal>;
  /** Records the POs made from confirmed lines; the plan becomes `ordered` when no line is left to order. */
  linkOrders(planId: string, links: Array<{ sku: string; poId: string }>): Promise<PurchasePlan | null>;
  /** `scope`: only the POs inside the caller's data scope (decision 0033), filtered in SQL. */
  purchaseOrders(
    filter: { status?: string; supplier?: string; limit: number },
    scope?: ScopeFilter,
  ): Promise<PurchaseOrderListItem[]>;
  /** `scope`: only the payables of POs inside the caller's data scope (decision 0033), in SQL. */
  payables(filter: { supplier?: string; limit: number }, scope?: ScopeFilter): Promise<PayableItem[]>;
  /** `scope`: only the suppliers inside the caller's data scope (decision 0033), filtered in SQL. */
  suppliers(filter: { status?: string; limit: number }, scope?: ScopeFilter): Promise<SupplierListItem[]>;
}
