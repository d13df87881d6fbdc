import type { Address } from "./commands.ts";

/**
 * The one masking policy for a customer's personal data (name, phone, street address). Every way an
 * order leaves the system applies it: HTTP responses, live socket messages, exports. Only holders of this
 * permission see the full data.
 */
export const PERSONAL_DATA_PERMISSION = "customer:pii";

/** What a viewer without the permission sees: the region (for logistics), the rest hidden. */
export function maskAddress(address: Address): Address {
  return {
    region: address.region,
    name: `${address.name.slice(0, 1)}*`,
    phone: address.phone.replace(/\d(?=\d{4})/g, "*"),
    detail: "***",
  };
}

/** An order-shaped value (an order, a group of orders sharing an address) with its `address` masked. */
export function maskOrder<T extends object>(order: T, seesPersonalData: boolean): T {
  if (seesPersonalData || !hasAddress(order)) return order;
  return { ...order, address: maskAddress(order.address) };
}

/** An order's events (`placed`, `addressChanged` carry the address) as a viewer may see them. */
export function maskOrderEvents<E extends { type: string }>(events: E[], seesPersonalData: boolean): E[] {
  if (seesPersonalData || !events.some(hasAddress)) return events;
  return events.map((event) => maskOrder(event, false));
}

function hasAddress(value: object): value is { address: Address } {
  const address = (value as { address?: unknown }).address;
  return (
    typeof address === "object" &&
    address !== null &&
    typeof (address as Address).name === "string" &&
    typeof (address as Address).phone === "string"
  );
}
