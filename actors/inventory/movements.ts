import type { InventoryEvent } from "./events.ts";

/** What kind of movement a stock ledger line records (a public name: read models and reports use it). */
export type MovementKind =
  | "receipt"
  | "inbound_announced"
  | "inbound_settled"
  | "reservation"
  | "hold"
  | "release"
  | "hold_release"
  | "shipment"
  | "hold_shipment"
  | "adjustment"
  | "safety_stock"
  | "allocation"
  | "deallocation";

/**
 * How one event moves the stock of one warehouse. Figures are deltas, so movements of many events add up
 * (a coalesced live view, a batch of read-model upserts); `safetyStock`, when present, is the new setting.
 */
export interface StockMovement {
  warehouse: string;
  movement: MovementKind;
  physical: number;
  reserved: number;
  inTransit: number;
  /**
   * Units set aside for flash-sale campaigns (decision 0023): not sellable. The stock read model counts
   * them as held (it adds them to `reserved`, so its sellable stays right); the SKU actor shows them apart.
   */
  allocated: number;
  safetyStock?: number;
  orderId?: string;
  reference?: string;
  reason?: string;
}

const ZERO = { physical: 0, reserved: 0, inTransit: 0, allocated: 0 };

/**
 * THE rule for how each SKU event moves physical, reserved and in-transit stock: the SKU actor's state,
 * the stock read model and the live dashboards all derive their figures from it, so they cannot disagree.
 * Events that move no stock (`lowStock`, `purchaseLimitSet`) give no movement.
 *
 * @example
 * stockMovement({ type: "committed", orderId: "O-1", lines: [{ warehouse: "WH", qty: 2 }] })
 * // → [{ warehouse: "WH", movement: "shipment", physical: -2, reserved: -2, inTransit: 0, orderId: "O-1" }]
 */
export function stockMovement(event: InventoryEvent): StockMovement[] {
  switch (event.type) {
    case "received":
      return [
        {
          ...ZERO,
          warehouse: event.warehouse,
          movement: "receipt",
          physical: event.qty,
          inTransit: -event.fromTransit,
          reason: event.reason,
          ...(event.reference ? { reference: event.reference } : {}),
        },
      ];
    case "inboundAnnounced":
      return [
        {
          ...ZERO,
          warehouse: event.warehouse,
          movement: "inbound_announced",
          inTransit: event.qty,
          reference: event.reference,
        },
      ];
    case "inboundSettled":
      return event.qty === 0
        ? []
        : [
            {
              ...ZERO,
              warehouse: event.warehouse,
              movement: "inbound_settled",
              inTransit: -event.qty,
              reference: event.reference,
              reason: event.reason,
            },
          ];
    case "reserved":
      return event.lines.map((l) => ({
        ...ZERO,
        warehouse: l.warehouse,
        // An operator's hold shows as one in the ledger, with the operator's reason.
        movement: event.hold ? "hold" : "reservation",
        reserved: l.qty,
        // A campaign's order takes its units out of the campaign's allocation.
        allocated: event.campaignId ? -l.qty : 0,
        orderId: event.orderId,
        ...(event.reason ? { reason: event.reason } : {}),
      }));
    case "released":
      return event.lines.map((l) => ({
        ...ZERO,
        warehouse: l.warehouse,
        movement: event.hold ? "hold_release" : "release",
        reserved: -l.qty,
        allocated: event.toCampaign ? l.qty : 0,
        orderId: event.orderId,
        reason: event.reason,
      }));
    case "committed":
      return event.lines.map((l) => ({
        ...ZERO,
        warehouse: l.warehouse,
        movement: event.hold ? "hold_shipment" : "shipment",
        reserved: -l.qty,
        physical: -l.qty,
        orderId: event.orderId,
      }));
    case "adjusted":
      // `delta` is the counted quantity minus the stock at decision time, so adding it lands on `countedQty`.
      return [
        {
          ...ZERO,
          warehouse: event.warehouse,
          movement: "adjustment",
          physical: event.delta,
          reason: event.reason,
        },
      ];
    case "safetyStockSet":
      return [
        {
          ...ZERO,
          warehouse: event.warehouse,
          movement: "safety_stock",
          safetyStock: event.qty,
          reason: `safety stock ${event.previous} → ${event.qty}`,
        },
      ];
    case "allocated":
      return event.lines.map((l) => ({
        ...ZERO,
        warehouse: l.warehouse,
        movement: "allocation",
        allocated: l.qty,
        reference: event.campaignId,
      }));
    case "deallocated":
      return event.lines.map((l) => ({
        ...ZERO,
        warehouse: l.warehouse,
        movement: "deallocation",
        allocated: -l.qty,
        reference: event.campaignId,
        reason: event.reason,
      }));
    case "lowStock":
    case "purchaseLimitSet":
      return [];
  }
}
