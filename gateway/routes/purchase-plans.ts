import type { Context } from "hono";
import { purchaseOrders } from "../../actors/purchasing/index.ts";
import type { GatewayKit } from "../app.ts";
import type { AuditLog, WarehouseDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import type { PlanRefusal, PurchasePlan, PurchasingStore } from "../purchasing-ports.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import { planBody, planLineBody, planList, plannedOrders, planQuery, planView } from "./plan-schemas.ts";
import { documentId, purchaseOrderProblem, supplierStatus } from "./purchasing-helpers.ts";

export interface PurchasePlanRouteDeps {
  purchasing: PurchasingStore;
  warehouses: WarehouseDirectory;
  audit: AuditLog;
}

function planOrRefusal(result: PurchasePlan | PlanRefusal): PurchasePlan {
  if (!("refused" in result)) return result;
  if (result.refused === "not_found")
    throw new ProblemError(404, "not-found", `no such ${result.what}`, {
      field: result.what === "line" ? "sku" : "planId",
    });
  if (result.refused === "plan_ordered")
    throw new ProblemError(409, "plan-ordered", "the line was already turned into a purchase order");
  throw new ProblemError(
    422,
    "supplier-not-listed",
    `supplier ${result.supplier} is not an approved supplier of this SKU`,
    {
      field: "supplier",
    },
  );
}

/**
 * Purchase plans (issue 12 item 2): suggestions from sales velocity, stock, safety stock and lead time with
 * their reasoning; the operator confirms, edits or drops each line, then turns confirmed lines into draft
 * purchase orders (one per supplier). A SKU's low-stock event opens a plan by itself (the projector).
 */
export function purchasePlanRoutes(deps: PurchasePlanRouteDeps) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const planId = (c: Context) => parseParam(c.req.param("planId"), codeSchema, "planId");
    const audit = (c: Context, action: string, target: string, detail: Record<string, unknown>) =>
      deps.audit.record({
        principal: kit.meta(c).by ?? "anonymous",
        action,
        target: `purchase-plan/${target}`,
        requestId: kit.requestId(c),
        detail,
      });

    define(
      {
        method: "get",
        path: "/v1/purchase-plans",
        summary:
          "What to buy: live suggestions for a warehouse (with their reasoning) and the plans, newest first (read models)",
        tag: "Purchasing",
        permission: "purchase:read",
        query: planQuery,
        response: { status: 200, schema: planList, description: "Suggestions and plans" },
      },
      async (c) => {
        const q = parseQuery(c, planQuery);
        const [suggestions, items] = await Promise.all([
          q.warehouse ? deps.purchasing.suggestions(q.warehouse) : Promise.resolve([]),
          deps.purchasing.plans(q),
        ]);
        return c.json({ suggestions, items });
      },
    );
    define(
      {
        method: "post",
        path: "/v1/purchase-plans",
        summary: "Open a plan with the current suggestions for a warehouse (or for the named SKUs)",
        tag: "Purchasing",
        permission: "purchase:write",
        body: planBody,
        idempotencyKey: "optional",
        response: {
          status: 201,
          schema: planView,
          description: "The plan (a retry with the same key: the same plan)",
        },
      },
      async (c) => {
        const key = idempotencyKey(c, false);
        const body = await parseBody(c, planBody);
        if (!(await deps.warehouses.exists(body.warehouse)))
          throw new ProblemError(422, "unknown-warehouse", `no warehouse ${body.warehouse}`, {
            field: "warehouse",
          });
        const by = kit.meta(c).by ?? "anonymous";
        const id = documentId("PP", key === undefined ? undefined : `${by}\u0000${key}`);
        const plan = await deps.purchasing.createPlan({
          planId: id,
          warehouse: body.warehouse,
          skus: body.skus,
          by,
        });
        await audit(c, "purchase-plan.create", id, { warehouse: body.warehouse, lines: plan.lines.length });
        return c.json(plan, 201);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/purchase-plans/:planId",
        summary: "A purchase plan with each line's suggestion, reasoning and decision",
        tag: "Purchasing",
        permission: "purchase:read",
        response: { status: 200, schema: planView, description: "The plan" },
      },
      async (c) => {
        const id = planId(c);
        const plan = await deps.purchasing.plan(id);
        if (!plan) throw new ProblemError(404, "not-found", `no purchase plan ${id}`);
        return c.json(plan);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/purchase-plans/:planId/lines/:sku",
        summary: "Confirm, edit (quantity, supplier) or drop one line of an open plan",
        tag: "Purchasing",
        permission: "purchase:write",
        body: planLineBody,
        response: { status: 200, schema: planView, description: "The plan after the change" },
      },
      async (c) => {
        const id = planId(c);
        const sku = parseParam(c.req.param("sku"), codeSchema, "sku");
        const body = await parseBody(c, planLineBody);
        const plan = planOrRefusal(await deps.purchasing.changeLine(id, sku, body));
        await audit(c, `purchase-plan.${body.action}`, id, { sku, ...body });
        return c.json(plan);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/purchase-plans/:planId/orders",
        summary: "Turn the plan's confirmed lines into draft purchase orders, one per supplier",
        tag: "Purchasing",
        permission: "purchase:write",
        response: {
          status: 201,
          schema: plannedOrders,
          description: "The draft POs (a retry makes no new ones); 409 nothing-to-order",
        },
      },
      async (c) => {
        const id = planId(c);
        const plan = await deps.purchasing.plan(id);
        if (!plan) throw new ProblemError(404, "not-found", `no purchase plan ${id}`);
        const bySupplier = new Map<string, Array<{ sku: string; qty: number; unitCost: number }>>();
        for (const l of plan.lines) {
          if (
            l.status !== "confirmed" ||
            l.poId !== null ||
            l.supplier === null ||
            l.unitCost === null ||
            l.qty < 1
          )
            continue;
          const group = bySupplier.get(l.supplier) ?? [];
          group.push({ sku: l.sku, qty: l.qty, unitCost: l.unitCost });
          bySupplier.set(l.supplier, group);
        }
        if (bySupplier.size === 0)
          throw new ProblemError(
            409,
            "nothing-to-order",
            `plan ${id} has no confirmed line with a supplier left to order`,
          );
        const made: Array<{ poId: string; supplier: string; lines: Array<{ sku: string; qty: number }> }> =
          [];
        for (const [supplier, lines] of bySupplier) {
          // One PO per plan and supplier, named by both: a retry reaches the same PO.
          const poId = documentId("PO", `${id}\u0000${supplier}`);
          const status = await supplierStatus(kit, c, supplier);
          const call = purchaseOrders.create(poId, {
            supplier,
            supplierStatus: status,
            warehouse: plan.warehouse,
            lines,
            planId: id,
          });
          await kit
            .command(c, call.to.kind, poId, call.cmd, { id: `plan-order:${poId}` })
            .catch(purchaseOrderProblem);
          made.push({ poId, supplier, lines: lines.map((l) => ({ sku: l.sku, qty: l.qty })) });
        }
        const after = await deps.purchasing.linkOrders(
          id,
          made.flatMap((m) => m.lines.map((l) => ({ sku: l.sku, poId: m.poId }))),
        );
        await audit(c, "purchase-plan.order", id, { purchaseOrders: made.map((m) => m.poId) });
        return c.json({ planId: id, purchaseOrders: made, plan: after! }, 201);
      },
    );
  };
}
