import type { Context } from "hono";
import { z } from "zod";
import { suppliers } from "../../actors/purchasing/index.ts";
import type { GatewayKit } from "../app.ts";
import { csvFile } from "../csv.ts";
import { listScope, requireSupplierInScope } from "../data-scope.ts";
import { optionalIdempotency } from "../idempotency.ts";
import { revealTo } from "../pii.ts";
import type { AuditLog } from "../ports.ts";
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

/** Suppliers one export holds at most (each row reads its supplier's actor). */
const MAX_SUPPLIER_EXPORT = 500;
const SUPPLIER_CSV_HEADER = [
  "code",
  "name",
  "status",
  "contactName",
  "contactPhone",
  "contactEmail",
  "bank",
  "accountHolder",
  "accountNo",
  "legalRepresentative",
  "legalRepresentativeIdCard",
] as const;

interface SupplierRecord {
  code: string;
  name: string;
  status: string;
  contact: { name?: string; phone?: string; email?: string } | null;
  bankAccount: { bank: string; holder: string; accountNo: string } | null;
  legalRepresentative: { name: string; idCard: string } | null;
}

export interface SupplierRouteDeps {
  purchasing: PurchasingStore;
  /** Where reads of unmasked personal data are recorded (`pii.read`, decision 0037). */
  audit: AuditLog;
}

/** Suppliers (issue 12 item 1): onboarding with review, SKUs with cost and lead time, rating and grade. */
export function supplierRoutes(deps: SupplierRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const code = (c: Context) => parseParam(c.req.param("code"), codeSchema, "code");
    // Data scope (decision 0033): a supplier outside the caller's scope answers 404, as one that is not.
    const scopedCode = (c: Context) => {
      const id = code(c);
      requireSupplierInScope(c, id);
      return id;
    };
    // The masking policy (decision 0037): the contact person's name, phone and e-mail unmasked with
    // `supplier:contact` or `pii:phone`/`pii:email`; the bank account number with `pii:bank_card` only, the
    // legal representative's ID card with `pii:id_card` only.
    const view = (c: Context, supplier: object) =>
      revealTo(c, deps.audit, "supplier", `supplier/${code(c)}`, supplier);

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
      async (c) =>
        c.json({ items: await deps.purchasing.suppliers(parseQuery(c, supplierListQuery), listScope(c)) }),
    );
    define(
      {
        method: "get",
        path: "/v1/suppliers/export",
        summary: `Export suppliers in CSV (at most ${MAX_SUPPLIER_EXPORT}): contact, bank account and ID card masked per field type`,
        tag: "Purchasing",
        permission: "supplier:read",
        query: supplierListQuery,
        response: {
          status: 200,
          contentType: "text/csv",
          schema: z.string(),
          description: `CSV with the header ${SUPPLIER_CSV_HEADER.join(",")}`,
        },
      },
      async (c) => {
        const q = parseQuery(c, supplierListQuery);
        const listed = await deps.purchasing.suppliers(
          { ...q, limit: Math.min(q.limit, MAX_SUPPLIER_EXPORT) },
          listScope(c),
        );
        // Contacts and bank accounts live in the supplier actors (the list keeps no personal data).
        const records: SupplierRecord[] = [];
        for (const s of listed) records.push(await kit.read<SupplierRecord>(c, suppliers.kind, s.code));
        const targets = records.map((r) => `supplier/${r.code}`);
        const shown = await revealTo(c, deps.audit, "supplier", targets, records);
        const rows = shown.map((r) => [
          r.code,
          r.name,
          r.status,
          r.contact?.name,
          r.contact?.phone,
          r.contact?.email,
          r.bankAccount?.bank,
          r.bankAccount?.holder,
          r.bankAccount?.accountNo,
          r.legalRepresentative?.name,
          r.legalRepresentative?.idCard,
        ]);
        return c.text(csvFile(SUPPLIER_CSV_HEADER, rows), 200, {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": 'attachment; filename="suppliers.csv"',
        });
      },
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
        const id = scopedCode(c);
        const idempotency = optionalIdempotency(c);
        const body = await parseBody(c, supplierBody);
        const call = suppliers.upsert(id, { profile: body });
        return c.json(
          await view(c, await command(c, call.to.kind, id, call.cmd, idempotency("supplier", body))),
        );
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
      async (c) => c.json(await view(c, await kit.read(c, suppliers.kind, scopedCode(c)))),
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
        const id = scopedCode(c);
        const idempotency = optionalIdempotency(c);
        const body = await parseBody(c, reviewBody);
        const call = suppliers.review(id, body);
        const reply = await command(c, call.to.kind, id, call.cmd, idempotency("supplier-review", body));
        return c.json(await view(c, reply));
      },
    );
  };
}
