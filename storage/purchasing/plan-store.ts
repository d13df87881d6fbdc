import type { ScopeFilter } from "../../actors/permissions/index.ts";
import { type PlanSuggestion, suggestPurchase } from "../../actors/purchasing/index.ts";
import type { Sql } from "../postgres/database.ts";
import {
  purchaseOrderIdScopeWhere,
  purchaseOrderScopeWhere,
  supplierScopeWhere,
} from "../read-models/scope-sql.ts";
import { planInputs, type Query } from "./plan-inputs.ts";

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

/** Writes a plan and its lines (`ON CONFLICT DO NOTHING`: a plan id is opened once). */
export async function insertPlan(
  sql: Query,
  plan: {
    planId: string;
    warehouse: string;
    trigger: "operator" | "low_stock";
    by: string;
    at: Date;
    lines: PlanSuggestion[];
  },
): Promise<boolean> {
  const created =
    await sql`INSERT INTO purchase_plans (plan_id, warehouse, trigger, status, created_at, created_by, updated_at)
    VALUES (${plan.planId}, ${plan.warehouse}, ${plan.trigger}, 'open', ${plan.at}, ${plan.by}, ${plan.at})
    ON CONFLICT (plan_id) DO NOTHING RETURNING plan_id`;
  if (created.length === 0) return false;
  if (plan.lines.length > 0)
    await sql`INSERT INTO purchase_plan_lines ${sql(
      plan.lines.map((l) => ({
        plan_id: plan.planId,
        sku: l.sku,
        supplier: l.supplier,
        unit_cost: l.unitCost,
        suggested_qty: l.suggestedQty,
        qty: l.suggestedQty,
        status: "suggested",
        reasoning: sql.json(l.reasoning),
      })),
    )}`;
  return true;
}

/** The record shapes of the gateway's port, structurally (storage does not import the gateway). */
function toPlan(row: Row, lines: Row[]) {
  return {
    planId: row.plan_id as string,
    warehouse: row.warehouse as string,
    trigger: row.trigger as "operator" | "low_stock",
    status: row.status as "open" | "ordered",
    createdAt: iso(row.created_at),
    createdBy: row.created_by as string,
    updatedAt: iso(row.updated_at),
    lines: lines
      .filter((l) => l.plan_id === row.plan_id)
      .map((l) => ({
        sku: l.sku as string,
        supplier: (l.supplier as string | null) ?? null,
        unitCost: l.unit_cost === null ? null : Number(l.unit_cost),
        suggestedQty: Number(l.suggested_qty),
        qty: Number(l.qty),
        status: l.status as "suggested" | "confirmed" | "dropped",
        reasoning: l.reasoning as PlanSuggestion["reasoning"],
        poId: (l.po_id as string | null) ?? null,
      })),
  };
}

export type PlanRecord = ReturnType<typeof toPlan>;

/** Purchase plans and purchasing's lists in Postgres. */
export class PostgresPurchasing {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async suggestions(warehouse: string, skus?: string[]) {
    const inputs = await planInputs(this.#sql, warehouse, skus);
    const all = inputs.map(suggestPurchase);
    return skus ? all : all.filter((s) => s.suggestedQty > 0);
  }

  async createPlan(input: { planId: string; warehouse: string; skus?: string[]; by: string }) {
    const existing = await this.plan(input.planId);
    if (existing) return existing;
    const lines = await this.suggestions(input.warehouse, input.skus);
    await insertPlan(this.#sql, {
      planId: input.planId,
      warehouse: input.warehouse,
      trigger: "operator",
      by: input.by,
      at: new Date(),
      lines,
    });
    return (await this.plan(input.planId))!;
  }

  async #withLines(rows: Row[]): Promise<PlanRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.plan_id as string);
    const lines = await this.#sql`SELECT * FROM purchase_plan_lines WHERE plan_id = ANY(${ids}) ORDER BY sku`;
    return rows.map((r) => toPlan(r, lines));
  }

  async plans(filter: { warehouse?: string; status?: "open" | "ordered"; limit: number }) {
    const sql = this.#sql;
    const rows = await sql`SELECT * FROM purchase_plans
      WHERE (${filter.warehouse ?? null}::text IS NULL OR warehouse = ${filter.warehouse ?? null})
        AND (${filter.status ?? null}::text IS NULL OR status = ${filter.status ?? null})
      ORDER BY created_at DESC, plan_id DESC LIMIT ${filter.limit}`;
    return this.#withLines(rows);
  }

  async plan(planId: string) {
    const rows = await this.#sql`SELECT * FROM purchase_plans WHERE plan_id = ${planId}`;
    return (await this.#withLines(rows))[0] ?? null;
  }

  async changeLine(
    planId: string,
    sku: string,
    change: { action: "confirm" } | { action: "drop" } | { action: "edit"; qty: number; supplier?: string },
  ) {
    const sql = this.#sql;
    const refusal = await sql.begin(async (tx) => {
      const [plan] = await tx`SELECT status FROM purchase_plans WHERE plan_id = ${planId} FOR UPDATE`;
      if (!plan) return { refused: "not_found" as const, what: "plan" as const };
      if (plan.status !== "open") return { refused: "plan_ordered" as const };
      const [line] =
        await tx`SELECT po_id FROM purchase_plan_lines WHERE plan_id = ${planId} AND sku = ${sku}`;
      if (!line) return { refused: "not_found" as const, what: "line" as const };
      if (line.po_id !== null) return { refused: "plan_ordered" as const };
      if (change.action === "confirm")
        await tx`UPDATE purchase_plan_lines SET status = 'confirmed' WHERE plan_id = ${planId} AND sku = ${sku}`;
      else if (change.action === "drop")
        await tx`UPDATE purchase_plan_lines SET status = 'dropped' WHERE plan_id = ${planId} AND sku = ${sku}`;
      else {
        let supplier: { code: string; cost: number } | undefined;
        if (change.supplier !== undefined) {
          const [listed] = await tx`SELECT ss.cost FROM supplier_skus ss
            JOIN suppliers s ON s.code = ss.supplier AND s.status = 'approved'
            WHERE ss.supplier = ${change.supplier} AND ss.sku = ${sku}`;
          if (!listed) return { refused: "supplier_not_listed" as const, supplier: change.supplier };
          supplier = { code: change.supplier, cost: Number(listed.cost) };
        }
        await tx`UPDATE purchase_plan_lines SET status = 'confirmed', qty = ${change.qty},
            supplier = COALESCE(${supplier?.code ?? null}, supplier), unit_cost = COALESCE(${supplier?.cost ?? null}::bigint, unit_cost)
          WHERE plan_id = ${planId} AND sku = ${sku}`;
      }
      await tx`UPDATE purchase_plans SET updated_at = now() WHERE plan_id = ${planId}`;
      return null;
    });
    return refusal ?? (await this.plan(planId))!;
  }

  async linkOrders(planId: string, links: Array<{ sku: string; poId: string }>) {
    const sql = this.#sql;
    await sql.begin(async (tx) => {
      for (const l of links)
        await tx`UPDATE purchase_plan_lines SET po_id = ${l.poId} WHERE plan_id = ${planId} AND sku = ${l.sku} AND po_id IS NULL`;
      await tx`UPDATE purchase_plans SET updated_at = now(), status = CASE WHEN EXISTS (
          SELECT 1 FROM purchase_plan_lines WHERE plan_id = ${planId} AND status <> 'dropped' AND po_id IS NULL
        ) THEN 'open' ELSE 'ordered' END
        WHERE plan_id = ${planId}`;
    });
    return this.plan(planId);
  }

  async purchaseOrders(filter: { status?: string; supplier?: string; limit: number }, scope?: ScopeFilter) {
    const rows = await this.#sql`SELECT * FROM purchase_orders
      WHERE (${filter.status ?? null}::text IS NULL OR status = ${filter.status ?? null})
        AND (${filter.supplier ?? null}::text IS NULL OR supplier = ${filter.supplier ?? null})
        ${purchaseOrderScopeWhere(this.#sql, scope)}
      ORDER BY created_at DESC, po_id DESC LIMIT ${filter.limit}`;
    return rows.map((r) => ({
      poId: r.po_id as string,
      supplier: r.supplier as string,
      warehouse: r.warehouse as string,
      status: r.status as string,
      total: Number(r.total),
      planId: (r.plan_id as string | null) ?? null,
      expectedAt: r.expected_at === null ? null : iso(r.expected_at),
      createdAt: iso(r.created_at),
      updatedAt: iso(r.updated_at),
    }));
  }

  async payables(filter: { supplier?: string; limit: number }, scope?: ScopeFilter) {
    const rows = await this.#sql`SELECT * FROM purchase_payables
      WHERE (${filter.supplier ?? null}::text IS NULL OR supplier = ${filter.supplier ?? null})
        ${purchaseOrderIdScopeWhere(this.#sql, scope)}
      ORDER BY created_at DESC, payable_id DESC LIMIT ${filter.limit}`;
    return rows.map((r) => ({
      payableId: r.payable_id as string,
      receiptId: r.receipt_id as string,
      poId: r.po_id as string,
      supplier: r.supplier as string,
      amount: Number(r.amount),
      status: r.status as string,
      createdAt: iso(r.created_at),
    }));
  }

  async suppliers(filter: { status?: string; limit: number }, scope?: ScopeFilter) {
    const rows = await this.#sql`SELECT * FROM suppliers
      WHERE (${filter.status ?? null}::text IS NULL OR status = ${filter.status ?? null})
        ${supplierScopeWhere(this.#sql, scope)}
      ORDER BY code LIMIT ${filter.limit}`;
    return rows.map((r) => ({
      code: r.code as string,
      name: r.name as string,
      status: r.status as "pending" | "approved" | "suspended",
      receipts: Number(r.receipts),
      updatedAt: iso(r.updated_at),
    }));
  }
}
