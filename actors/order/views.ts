/**
 * Views derived from an order as its actor reports it (`get`): pure functions, so the HTTP edge,
 * sockets and exports compute them the same way.
 */
import type { Address } from "./commands.ts";

export interface AllocatedLine {
  sku: string;
  allocation: Array<{ warehouse: string; qty: number }>;
}

export interface Parcel {
  warehouse: string;
  lines: Array<{ sku: string; qty: number }>;
}

/** One parcel per warehouse the order's lines were reserved in, lines in order. */
export function shipmentParcels(lines: readonly AllocatedLine[]): Parcel[] {
  const parcels = new Map<string, Parcel["lines"]>();
  for (const line of lines) {
    for (const part of line.allocation)
      parcels.set(part.warehouse, [...(parcels.get(part.warehouse) ?? []), { sku: line.sku, qty: part.qty }]);
  }
  return [...parcels].map(([warehouse, parcelLines]) => ({ warehouse, lines: parcelLines }));
}

/** Orders that go to the very same address (region, detail, name, phone) can ship together. */
export function mergeGroups(
  orders: ReadonlyArray<{ orderId: string; address: Address }>,
): Array<{ address: Address; orders: string[] }> {
  const groups = new Map<string, { address: Address; orders: string[] }>();
  for (const order of orders) {
    const { region, detail, name, phone } = order.address;
    const key = JSON.stringify([region, detail, name, phone]);
    const group = groups.get(key) ?? { address: order.address, orders: [] };
    group.orders.push(order.orderId);
    groups.set(key, group);
  }
  return [...groups.values()].filter((g) => g.orders.length > 1);
}
