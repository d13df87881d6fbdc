import { orderInScope, type ScopeFilter, warehouseInScope } from "../actors/permissions/index.ts";
import type { FeedMessage } from "./dashboards.ts";

const FACTS_MAX = 200_000;

interface OrderFacts {
  warehouses: Set<string>;
  region: string | null;
  channel: string | null;
  createdBy: string | null;
}

/**
 * Data scope on the live feed (decision 0033). What the hub has learnt from the log about each order (its
 * warehouses, region, channel, who placed it), each payment's order and each shipment's warehouse: a scoped
 * viewer's messages are filtered with the same definitions as HTTP (`orderInScope`, `warehouseInScope`).
 * An entity the hub has not seen placed (before this process started) is outside every scope: fail closed.
 */
export class ScopeFacts {
  readonly #orders = new Map<string, OrderFacts>();
  readonly #payments = new Map<string, string>();
  readonly #shipments = new Map<string, string | null>();

  observe(message: FeedMessage): void {
    if (message.kind === "order") {
      for (const e of message.events) this.#observeOrder(message.entityId, e);
    } else if (message.kind === "payment") {
      const created = message.events.find((e) => e.type === "created");
      if (typeof created?.orderId === "string") remember(this.#payments, message.entityId, created.orderId);
    } else if (message.kind === "shipment") {
      const created = message.events.find((e) => e.type === "created");
      if (created) {
        const warehouse = typeof created.warehouse === "string" ? created.warehouse : null;
        remember(this.#shipments, message.entityId, warehouse);
      }
    }
  }

  #observeOrder(orderId: string, e: { type: string; [field: string]: unknown }): void {
    if (e.type === "placed") {
      const address = e.address as { region?: unknown } | undefined;
      remember(this.#orders, orderId, {
        warehouses: new Set(),
        region: typeof address?.region === "string" ? address.region : null,
        channel: typeof e.channel === "string" ? e.channel : null,
        createdBy: typeof e.by === "string" ? e.by : null,
      });
      return;
    }
    const facts = this.#orders.get(orderId);
    if (!facts) return;
    if (e.type === "lineReserved" && Array.isArray(e.allocation)) {
      for (const a of e.allocation as Array<{ warehouse?: unknown }>)
        if (typeof a.warehouse === "string") facts.warehouses.add(a.warehouse);
    } else if (e.type === "addressChanged") {
      const address = e.address as { region?: unknown } | undefined;
      if (typeof address?.region === "string") facts.region = address.region;
    }
  }

  /** Whether the order is inside the scope, as far as the log has told this hub. */
  orderInScope(orderId: string, filter: ScopeFilter): boolean {
    const facts = this.#orders.get(orderId);
    if (!facts) return false;
    return orderInScope(filter.scope, { ...facts, warehouses: [...facts.warehouses] }, filter.username);
  }

  /**
   * The message as a scoped viewer may see it, or null. Orders, payments (their order) and shipments (their
   * warehouse) whole or not at all; a SKU's events only for the scope's warehouses; a warehouse's own events
   * when it is in the scope. Kinds the scope does not describe (products, campaigns) pass unchanged.
   */
  filter(message: FeedMessage, filter: ScopeFilter): FeedMessage | null {
    const { scope } = filter;
    switch (message.kind) {
      case "order":
        return this.orderInScope(message.entityId, filter) ? message : null;
      case "payment": {
        const orderId = this.#payments.get(message.entityId);
        return orderId !== undefined && this.orderInScope(orderId, filter) ? message : null;
      }
      case "shipment": {
        const warehouse = this.#shipments.get(message.entityId);
        return typeof warehouse === "string" && warehouseInScope(scope, warehouse) ? message : null;
      }
      case "warehouse":
        return warehouseInScope(scope, message.entityId) ? message : null;
      case "sku": {
        const events = message.events.filter((e) => eventInWarehouses(e, (w) => warehouseInScope(scope, w)));
        if (events.length === 0) return null;
        return events.length === message.events.length ? message : { ...message, events };
      }
      default:
        return message;
    }
  }
}

/**
 * Whether a SKU event touches only warehouses the predicate accepts (an event naming no warehouse, such
 * as a purchase limit, is not shown to a scoped viewer; a reservation split across warehouses in and out
 * of the scope is left out whole rather than shown in part).
 */
function eventInWarehouses(
  event: { [field: string]: unknown },
  inScope: (warehouse: string) => boolean,
): boolean {
  const named: string[] = [];
  if (typeof event.warehouse === "string") named.push(event.warehouse);
  for (const field of ["lines", "allocation"]) {
    const list = event[field];
    if (Array.isArray(list))
      for (const l of list as Array<{ warehouse?: unknown }>)
        if (typeof l.warehouse === "string") named.push(l.warehouse);
  }
  return named.length > 0 && named.every(inScope);
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= FACTS_MAX && !map.has(key)) map.delete(map.keys().next().value!);
  map.set(key, value);
}
