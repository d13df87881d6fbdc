import type { Context } from "hono";
import { type Routing, regionOfAddress, route, UNSERVED } from "../../actors/freight/index.ts";
import type { StockView } from "../../actors/inventory/index.ts";
import type { GatewayKit } from "../app.ts";
import type { FreightPorts } from "../freight-ports.ts";
import { ProblemError } from "../problem.ts";

export interface FreightRequest {
  /** The address's region field: a leading GB/T 2260 code prices freight; none (or no address) is 0. */
  region: string | undefined;
  /** Each line with what it pays after its discounts (free-shipping thresholds are on goods). */
  lines: ReadonlyArray<{ sku: string; qty: number; paid: number }>;
  freeShipping: { member: boolean; promotion: boolean };
  avoid?: { warehouses?: readonly string[]; carriers?: readonly string[] };
  /** Units of this order already reserved per SKU and warehouse (re-routing counts them as its own). */
  held?: ReadonlyArray<{ sku: string; warehouse: string; qty: number }>;
  /** A flash-sale line's SKU (decision 0023): its units come from the campaign's allocation, not sellable. */
  campaignSku?: string | undefined;
}

/**
 * The freight step of checkout (decision 0028): reads what routing needs (each SKU actor's stock, the
 * SKUs' weights and volumes, the warehouses' regions and templates, the carriers), routes the cart
 * (`actors/freight` `route`) and returns the decision; its `freight` is what the quote and the order charge.
 * Nothing routable (no address, no stock) gives a routing whose freight is 0.
 */
export async function routeCart(kit: GatewayKit, c: Context, ports: FreightPorts, req: FreightRequest) {
  const dest = req.region === undefined ? undefined : regionOfAddress(req.region);
  const skus = req.lines.map((l) => l.sku);
  const [views, dims, carriers] = await Promise.all([
    Promise.all(skus.map((sku) => kit.read<StockView>(c, "sku", sku))),
    ports.skuDimensions(skus),
    ports.carriers.list(),
  ]);
  const stock = new Map(
    views.map((v, i) => [
      skus[i]!,
      new Map(
        (v.warehouses ?? []).map((w) => [
          w.warehouse,
          w.sellable + (skus[i] === req.campaignSku ? (w.allocated ?? 0) : 0),
        ]),
      ),
    ]),
  );
  for (const h of req.held ?? []) {
    const ws = stock.get(h.sku);
    ws?.set(h.warehouse, (ws.get(h.warehouse) ?? 0) + h.qty);
  }
  const warehouses = [...new Set([...stock.values()].flatMap((m) => [...m.keys()]))];
  const [templates, regions] = await Promise.all([
    ports.freightTemplates.forWarehouses(warehouses),
    ports.warehouseRegions(warehouses),
  ]);
  return route({
    dest,
    lines: req.lines.map((l) => ({ ...l, ...(dims.get(l.sku) ?? { weightGrams: 0, volumeCm3: 0 }) })),
    warehouses: warehouses.map((code) => ({ code, region: regions.get(code) ?? "" })),
    stock,
    templates,
    carriers,
    freeShipping: req.freeShipping,
    ...(req.avoid ? { avoid: req.avoid } : {}),
  });
}

/**
 * A cart the shop cannot deliver to the address: a line in stock only at warehouses that do not ship
 * there (remote exclusions), or no carrier serving it. 422 `region-not-served`, nothing reserved.
 */
export function requireServed(routing: Routing, lines: ReadonlyArray<{ sku: string; qty: number }>) {
  if (routing.dest === null) return;
  const unserved = lines.find((l) => routing.reasons.some((r) => r.startsWith(`${l.sku}: ${UNSERVED}`)));
  if (unserved !== undefined)
    throw new ProblemError(422, "region-not-served", `${unserved.sku} cannot be shipped to ${routing.dest}`, {
      field: "address.region",
      reasons: routing.reasons,
    });
  const stranded = routing.parcels.find((p) => p.carrier === null);
  if (stranded !== undefined)
    throw new ProblemError(422, "region-not-served", `no carrier serves ${routing.dest}`, {
      field: "address.region",
      reasons: stranded.reasons,
    });
}

/** The warehouse routing chose for a whole line (the order reserves it there); none when split or unrouted. */
export function pinnedWarehouse(routing: Routing | null, sku: string): { warehouse?: string } {
  const parcels = (routing?.parcels ?? []).filter((p) => p.lines.some((l) => l.sku === sku));
  return parcels.length === 1 ? { warehouse: parcels[0]!.warehouse } : {};
}
