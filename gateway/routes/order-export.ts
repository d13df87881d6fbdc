import { z } from "zod";
import type { Address } from "../../actors/order/index.ts";
import type { GatewayKit } from "../app.ts";
import { csvFile } from "../csv.ts";
import { pagedRead } from "../cursor.ts";
import { listScope, orderVisible } from "../data-scope.ts";
import { revealTo } from "../pii.ts";
import type { AuditLog, OrderReadModel } from "../ports.ts";
import { parseQuery } from "../validate.ts";
import { orderPage } from "./order-responses.ts";
import { listQuery } from "./order-schemas.ts";

/** Orders one export holds at most (each row reads its order's actor for the address). */
export const MAX_EXPORT_ORDERS = 1_000;
/** Order actors read at once while exporting. */
const READS_IN_FLIGHT = 8;

export const exportQuery = listQuery
  .omit({ cursor: true, limit: true })
  .extend({ limit: z.coerce.number().int().min(1).max(MAX_EXPORT_ORDERS).default(500) })
  .strict();

const HEADER = [
  "orderId",
  "userId",
  "status",
  "channel",
  "createdAt",
  "paidAt",
  "total",
  "receiver",
  "phone",
  "region",
  "address",
] as const;

/** A row of the orders read model, as `GET /v1/orders` lists it. */
const listedOrder = orderPage.shape.items.element;
type ListedOrder = z.infer<typeof listedOrder>;

export interface OrderExportDeps {
  orders: OrderReadModel;
  audit: AuditLog;
}

/**
 * `GET /v1/orders/export`: the orders a search finds in CSV, with the receiver's name, phone and address
 * masked per field type exactly the way answers and sockets mask them (decision 0037), and one
 * `pii.read` audit row naming every exported order when any of it leaves unmasked.
 */
export function orderExportRoutes(deps: OrderExportDeps) {
  return (kit: GatewayKit) => {
    kit.define(
      {
        method: "get",
        path: "/v1/orders/export",
        summary: `Export the orders a search finds in CSV (newest first, at most ${MAX_EXPORT_ORDERS}); personal data masked per field type`,
        tag: "Orders",
        permission: "order:read",
        query: exportQuery,
        response: {
          status: 200,
          contentType: "text/csv",
          schema: z.string(),
          description: `CSV with the header ${HEADER.join(",")}`,
        },
      },
      async (c) => {
        const q = parseQuery(c, exportQuery);
        const listed: ListedOrder[] = [];
        let cursor: string | undefined;
        do {
          const limit = Math.min(200, q.limit - listed.length);
          // The caller's data scope (decision 0033) applies to an export as to the list.
          const filter = { ...q, limit, ...(cursor ? { cursor } : {}) };
          const page = await pagedRead(() => deps.orders.list(filter, listScope(c)));
          listed.push(...page.items.map((item) => listedOrder.parse(item)));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined && listed.length < q.limit);
        // The address lives in the order actor (the read model keeps no personal data); the actor also says
        // whether the order is still in the caller's scope (the read model may lag).
        const addresses = new Array<Address | null>(listed.length).fill(null);
        const visible = new Array<boolean>(listed.length).fill(false);
        let next = 0;
        const worker = async () => {
          while (next < listed.length) {
            const i = next++;
            const order = await kit.read<{ address: Address | null }>(c, "order", listed[i]!.orderId);
            addresses[i] = order.address;
            visible[i] = orderVisible(c, order);
          }
        };
        await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, listed.length) }, worker));
        const rows = listed
          .map((o, i) => ({ ...o, address: addresses[i] ?? null }))
          .filter((_row, i) => visible[i]);
        const targets = rows.map((r) => `order/${r.orderId}`);
        const shown = await revealTo(c, deps.audit, "customer", targets, rows);
        const csv = csvFile(
          HEADER,
          shown.map((r) => [
            r.orderId,
            r.userId,
            r.status,
            r.channel,
            r.createdAt,
            r.paidAt,
            r.amounts.total,
            r.address?.name,
            r.address?.phone,
            r.address?.region,
            r.address?.detail,
          ]),
        );
        return c.text(csv, 200, {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": 'attachment; filename="orders.csv"',
        });
      },
    );
  };
}
