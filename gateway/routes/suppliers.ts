import type { Context } from "hono";
import { maskSupplier, SUPPLIER_CONTACT_PERMISSION, suppliers } from "../../actors/purchasing/index.ts";
import type { GatewayKit } from "../app.ts";
import { can, principalOf } from "../auth.ts";
import { optionalIdempotency } from "../idempotency.ts";
import type { PurchasingStore } from "../purchasing-ports.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";
import {
  reviewBody,
  supplierBody,
  supplierList,
  supplierListQuery,
  supplierView,
} from "./purchasing-schemas.ts";

export interface SupplierRouteDeps {
  purchasing: PurchasingStore;
}

/** Suppliers (issue 12 item 1): onboarding with review, SKUs with cost and lead time, rating and grade. */
export function supplierRoutes(deps: SupplierRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const code = (c: Context) => parseParam(c.req.param("code"), codeSchema, "code");
    // The contact person's phone and e-mail are masked without `supplier:contact` (as customers' without
    // `customer:pii`).
    const view = (c: Context, supplier: object) =>
      maskSupplier(supplier, can(principalOf(c), SUPPLIER_CONTACT_PERMISSION));

    define(
      {
        method: "get",
        path: "/v1/suppliers",
        summary: "Suppliers by code (read model: may lag a write by the projector's delay)",
        tag: "Purchasing",
        permission: "supplier:read",
        query: supplierListQuery,
        response: { status: 200, schema: supplierList, description: "Suppliers" },
      },
      async (c) => c.json({ items: await deps.purchasing.suppliers(parseQuery(c, supplierListQuery)) }),
    );
    define(
      {
        method: "put",
        path: "/v1/suppliers/:code",
        summary:
          "Onboard or update a supplier: name, contact, SKUs supplied with unit cost (fen) and lead time; new suppliers start pending review",
        tag: "Purchasing",
        permission: "supplier:write",
        body: supplierBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: supplierView, description: "The supplier as stored" },
      },
      async (c) => {
        const id = code(c);
        const idempotency = optionalIdempotency(c);
        const body = await parseBody(c, supplierBody);
        const call = suppliers.upsert(id, { profile: body });
        return c.json(view(c, await command(c, call.to.kind, id, call.cmd, idempotency("supplier", body))));
      },
    );
    define(
      {
        method: "get",
        path: "/v1/suppliers/:code",
        summary:
          "A supplier with its SKUs and its rating (on-time rate, acceptance rate, price trend, grade)",
        tag: "Purchasing",
        permission: "supplier:read",
        response: { status: 200, schema: supplierView, description: "The supplier" },
      },
      async (c) => c.json(view(c, await kit.read(c, suppliers.kind, code(c)))),
    );
    define(
      {
        method: "post",
        path: "/v1/suppliers/:code/review",
        summary: "Review a supplier: approve (it may receive purchase orders) or suspend",
        tag: "Purchasing",
        permission: "supplier:review",
        body: reviewBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: supplierView, description: "The supplier after the review" },
      },
      async (c) => {
        const id = code(c);
        const idempotency = optionalIdempotency(c);
        const body = await parseBody(c, reviewBody);
        const call = suppliers.review(id, body);
        return c.json(
          view(c, await command(c, call.to.kind, id, call.cmd, idempotency("supplier-review", body))),
        );
      },
    );
  };
}
