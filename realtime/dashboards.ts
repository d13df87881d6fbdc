import { type InventoryEvent, stockMovement } from "../actors/inventory/index.ts";
import {
  maskPii,
  PII_FIELDS,
  type PiiField,
  type PiiView,
  unmaskedFields,
  viewKey,
} from "../actors/permissions/index.ts";

/** Which actor kinds feed which dashboard, and the permission a viewer needs. */
export const DASHBOARDS = {
  orders: { kinds: ["order", "payment"], permission: "order:read" },
  inventory: { kinds: ["sku"], permission: "inventory:read" },
  logistics: { kinds: ["shipment"], permission: "order:read" },
  /** The warehouse actor's events (decision 0027); the page re-reads its figures from the actor on each. */
  warehouse: { kinds: ["warehouse"], permission: "warehouse:read" },
  /** Listing events live; the figures (Postgres) arrive as `panel` updates, see `catalogue-panel.ts`. */
  catalogue: { kinds: ["product"], permission: "product:read" },
  /** Coupon and flash-sale events live; the figures (Postgres) arrive as `panel` updates, see `promotions-panel.ts`. */
  promotions: { kinds: ["coupon-template", "flash-sale"], permission: "promotion:read" },
} as const;

export type DashboardName = keyof typeof DASHBOARDS;

export function isDashboard(name: unknown): name is DashboardName {
  return typeof name === "string" && Object.hasOwn(DASHBOARDS, name);
}

export function dashboardsFor(kind: string): DashboardName[] {
  return (Object.keys(DASHBOARDS) as DashboardName[]).filter((d) =>
    (DASHBOARDS[d].kinds as readonly string[]).includes(kind),
  );
}

/** One batch of one actor, as a dashboard receives it. `id` is the event-log sequence: resume from it. */
export interface FeedMessage {
  id: number;
  kind: string;
  entityId: string;
  at: number;
  events: Array<{ type: string; [field: string]: unknown }>;
}

/** Stock movement of one SKU, summed over a coalescing window (deltas add up exactly). */
export interface StockDelta {
  sku: string;
  upTo: number;
  physical: number;
  reserved: number;
  inTransit: number;
  safetyStock?: number;
  warehouse?: string;
}

/** The stock change a batch of SKU events makes (for the coalesced live view), by the SKU's own rule. */
export function stockDelta(sku: string, id: number, events: ReadonlyArray<{ type: string }>): StockDelta {
  const d: StockDelta = { sku, upTo: id, physical: 0, reserved: 0, inTransit: 0 };
  // The log holds only events the SKU actor validated before appending them.
  for (const e of events as InventoryEvent[]) {
    for (const move of stockMovement(e)) {
      d.physical += move.physical;
      // Held stock as the read model counts it: campaign allocations included (decision 0023).
      d.reserved += move.reserved + move.allocated;
      d.inTransit += move.inTransit;
    }
  }
  return d;
}

export function mergeDelta(into: StockDelta, next: StockDelta): StockDelta {
  return {
    sku: into.sku,
    upTo: next.upTo,
    physical: into.physical + next.physical,
    reserved: into.reserved + next.reserved,
    inTransit: into.inTransit + next.inTransit,
  };
}

/** The low-stock alerts in a SKU message, each with the time of the batch that raised it. */
export function lowStockAlerts(message: FeedMessage): Array<Record<string, unknown>> {
  return message.events
    .filter((event) => event.type === "lowStock")
    .map((event) => ({
      dashboard: "inventory",
      level: "warning",
      kind: "lowStock",
      sku: message.entityId,
      at: message.at,
      ...event,
    }));
}

/**
 * A message as a viewer may see it: the masking policy (decision 0037) applies to live messages as to
 * HTTP, to every kind (an order's address, a shipment's phone, …). The message itself when nothing is
 * masked, so views that see the same share one encoding.
 */
export function messageFor(message: FeedMessage, view: PiiView): FeedMessage {
  const events = maskPii(message.events, view);
  return events === message.events ? message : { ...message, events };
}

/** The field types a view shows unmasked in this message (what a socket's `pii.read` row names). */
export function revealedIn(message: FeedMessage, view: PiiView): PiiField[] {
  return unmaskedFields(message.events, view);
}

/**
 * Every view a socket can have of customer data (one per subset of the field types), so a live message
 * goes to each view's room masked once for all its members.
 */
export const CUSTOMER_VIEWS: readonly PiiView[] = Array.from(
  { length: 2 ** PII_FIELDS.length },
  (_, bits) => {
    const fields = new Set(PII_FIELDS.filter((_f, i) => (bits >> i) & 1));
    return { subject: "customer", fields, contactName: fields.has("address") } as const;
  },
);

export { viewKey };

/** Field types each kind's events carry unmasked in the log (shipments hold the waybill's masked phone). */
const PII_OF_KIND: ReadonlyMap<string, readonly PiiField[]> = new Map([
  ["order", ["phone", "address"] as const],
]);

/** The field types a view would see unmasked on these kinds' events (a subscription's `pii.read` row). */
export function revealable(kinds: readonly string[], view: PiiView): PiiField[] {
  const carried = new Set(kinds.flatMap((k) => PII_OF_KIND.get(k) ?? []));
  return PII_FIELDS.filter((f) => carried.has(f) && view.fields.has(f));
}
