/** One warehouse's share of a reservation. */
export interface ReservationLine {
  warehouse: string;
  qty: number;
}

export type InventoryEvent =
  | {
      type: "received";
      warehouse: string;
      qty: number;
      reason: string;
      reference?: string;
      fromTransit: number;
    }
  | { type: "inboundAnnounced"; warehouse: string; qty: number; reference: string }
  | { type: "reserved"; orderId: string; lines: ReservationLine[] }
  | { type: "released"; orderId: string; lines: ReservationLine[]; reason: string }
  | { type: "committed"; orderId: string; lines: ReservationLine[] }
  | { type: "adjusted"; warehouse: string; countedQty: number; delta: number; reason: string }
  | { type: "safetyStockSet"; warehouse: string; qty: number; previous: number }
  | { type: "lowStock"; warehouse: string; sellable: number; safetyStock: number };
