import { z } from "zod";
import {
  CARRIER_CODES,
  defaultCarrier,
  isCarrierCode,
  provinceName,
  renderLabel,
} from "../../actors/carrier/index.ts";
import { shipmentIdSchema } from "../../actors/shipment/index.ts";
import type { GatewayKit } from "../app.ts";
import { listScope, requireOrderInScope, scopeOf, shipmentInScopeOr404 } from "../data-scope.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import type { ShipmentReadModel } from "../shipment-ports.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";
import {
  compensationList,
  compensationsQuery,
  orderShipments,
  settleBody,
  settleReply,
  shipmentView,
} from "./shipment-schemas.ts";

export const carrierCodeParam = z.enum(CARRIER_CODES);

export interface ShipmentRouteDeps {
  shipments: ShipmentReadModel;
}

type ShipmentView = z.infer<typeof shipmentView>;

/** The Beijing calendar day of an instant (a label's pickup date). */
const beijingDay = (iso: string) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date(iso));

/**
 * Shipments (issue 13 item 4): a shipment and an order's shipments from their actors (strongly
 * consistent), the printable label, compensation records of lost, damaged or refused parcels.
 */
export function shipmentRoutes(deps: ShipmentRouteDeps) {
  return (kit: GatewayKit) => {
    const shipmentId = (c: { req: { param(name: string): string | undefined } }) =>
      parseParam(c.req.param("shipmentId"), shipmentIdSchema, "shipmentId");

    kit.define(
      {
        method: "get",
        path: "/v1/shipments/:shipmentId",
        summary: "A shipment from its actor: waybill, status, tracking in carrier time, SLA, compensations",
        tag: "Logistics",
        permission: "order:read",
        response: { status: 200, schema: shipmentView, description: "The shipment" },
      },
      async (c) => {
        const id = shipmentId(c);
        return c.json(await shipmentInScopeOr404(c, id, kit.read<ShipmentView>(c, "shipment", id)));
      },
    );
    kit.define(
      {
        method: "get",
        path: "/v1/orders/:orderId/shipments",
        summary: "An order's shipments, each from its actor",
        tag: "Logistics",
        permission: "order:read",
        response: { status: 200, schema: orderShipments, description: "The order's shipments" },
      },
      async (c) => {
        const orderId = parseParam(c.req.param("orderId"), codeSchema, "orderId");
        const order = await kit.read<{ status: string; shipments?: Array<{ shipmentId: string }> }>(
          c,
          "order",
          orderId,
        );
        requireOrderInScope(c, orderId, order);
        const list = await Promise.all(
          (order.shipments ?? []).map((s) => kit.read<ShipmentView>(c, "shipment", s.shipmentId)),
        );
        return c.json({ orderId, orderStatus: order.status, shipments: list });
      },
    );
    kit.define(
      {
        method: "get",
        path: "/v1/shipments/:shipmentId/label",
        summary: "The printable e-waybill label (PNG, 800 × 1000, Code 128 barcode of the waybill number)",
        tag: "Logistics",
        permission: "order:fulfil",
        response: { status: 200, contentType: "image/png", schema: z.string(), description: "The label" },
      },
      async (c) => {
        const id = shipmentId(c);
        const s = await shipmentInScopeOr404(c, id, kit.read<ShipmentView>(c, "shipment", id));
        const carrier = s.carrier;
        if (!s.waybillNo || !isCarrierCode(carrier))
          throw new ProblemError(409, "conflict", `shipment ${id} has no e-waybill to print`, {
            shipmentStatus: s.status,
          });
        const info = defaultCarrier(carrier)!;
        const png = renderLabel({
          carrierName: info.names.en,
          waybillNo: s.waybillNo,
          sortCode: s.sortCode ?? "--",
          to: `${s.toRegion ?? "-"} ${s.province ? provinceName(s.province, "en") : ""}`.trim(),
          phone: s.phone,
          from: s.warehouse ?? "-",
          orderRef: id,
          parcel: "1/1",
          weightGrams: s.weightGrams,
          pickupDate: s.pickupAt ? beijingDay(s.pickupAt) : "-",
        });
        return c.body(new Uint8Array(png), 200, {
          "content-type": "image/png",
          "content-disposition": `inline; filename="${s.waybillNo}.png"`,
          "cache-control": "no-store",
        });
      },
    );
    kit.define(
      {
        method: "post",
        path: "/v1/shipments/:shipmentId/compensation/settle",
        summary: "Settle the shipment's open compensation record (at most the declared value)",
        tag: "Logistics",
        permission: "order:approve",
        body: settleBody,
        response: { status: 200, schema: settleReply, description: "Settled" },
      },
      async (c) => {
        const id = shipmentId(c);
        const body = await parseBody(c, settleBody);
        if (scopeOf(c)) await shipmentInScopeOr404(c, id, kit.read<ShipmentView>(c, "shipment", id));
        const cmd = {
          type: "settleCompensation",
          amount: body.amount,
          ...(body.note ? { note: body.note } : {}),
        };
        return c.json(await kit.command(c, "shipment", id, cmd, { id: `settle:${id}:${body.amount}` }));
      },
    );
    kit.define(
      {
        method: "get",
        path: "/v1/shipment-compensations",
        summary: "Compensation records of lost, damaged or refused parcels, newest first (read model)",
        tag: "Logistics",
        permission: "order:read",
        query: compensationsQuery,
        response: { status: 200, schema: compensationList, description: "Compensation records" },
      },
      async (c) => {
        const q = parseQuery(c, compensationsQuery);
        return c.json({ items: await deps.shipments.compensations(q, listScope(c)) });
      },
    );
  };
}
