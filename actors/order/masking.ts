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
  const address = (order as { address?: unknown }).address;
  if (seesPersonalData || address === undefined || address === null) return order;
  // Never pass through something unmasked that merely looks different from an address.
  return { ...order, address: isAddress(address) ? maskAddress(address) : null };
}

/** An order's events (`placed`, `addressChanged` carry the address) as a viewer may see them. */
export function maskOrderEvents<E extends { type: string }>(events: E[], seesPersonalData: boolean): E[] {
  if (seesPersonalData || !events.some((event) => "address" in event)) return events;
  return events.map((event) => maskOrder(event, false));
}

function isAddress(address: unknown): address is Address {
  return (
    typeof address === "object" &&
    address !== null &&
    typeof (address as Address).region === "string" &&
    typeof (address as Address).detail === "string" &&
    typeof (address as Address).name === "string" &&
    typeof (address as Address).phone === "string"
  );
}
