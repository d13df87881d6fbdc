import { z } from "zod";
import { type RoutingCarrier, serves, slaOnRoute } from "./carriers.ts";
import { distance, distanceName, isRegionCode } from "./regions.ts";
import { type FreightTemplate, freightOf } from "./template.ts";

/** One order line as routing sees it: units, the SKU's weight and volume per unit, and what the line pays. */
export interface RouteLine {
  sku: string;
  qty: number;
  weightGrams: number;
  volumeCm3: number;
  /** What the line pays after its discounts (free-shipping thresholds are on goods). */
  paid: number;
}

export interface RoutingInput {
  /** The destination's GB/T 2260 code; undefined when the address has none (distance unknown). */
  dest: string | undefined;
  lines: readonly RouteLine[];
  warehouses: ReadonlyArray<{ code: string; region: string }>;
  /** sku → warehouse → sellable units. */
  stock: ReadonlyMap<string, ReadonlyMap<string, number>>;
  templates: readonly FreightTemplate[];
  carriers: readonly RoutingCarrier[];
  /** Free shipping won elsewhere (member level, promotion): the buyer pays no freight. */
  freeShipping?: { member: boolean; promotion: boolean };
  /** Warehouses and carriers to route around (a stock or carrier failure being re-routed). */
  avoid?: { warehouses?: readonly string[]; carriers?: readonly string[] };
  options?: Partial<RoutingOptions>;
}

export interface RoutingOptions {
  /** Fen added per parcel beyond the first (packing, handling): a split must save more than this. */
  splitPenalty: number;
  /** Fen per distance step (same county 0 … another area 4, unknown 5): nearer warehouses deliver sooner. */
  distanceCost: number;
  /** The shop's delivery promise: carriers slower than this are used only when no faster one serves. */
  promiseHours: number;
}

export const DEFAULT_ROUTING: RoutingOptions = { splitPenalty: 1_000, distanceCost: 300, promiseHours: 72 };

export const routedParcelSchema = z.object({
  warehouse: z.string(),
  carrier: z.string().nullable(),
  lines: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })),
  /** What the buyer pays for this parcel (after free shipping), fen. */
  freight: z.number().int().min(0),
  reasons: z.array(z.string()),
});
export const routingSchema = z.object({
  dest: z.string().nullable(),
  parcels: z.array(routedParcelSchema),
  freight: z.number().int().min(0),
  reasons: z.array(z.string()),
});
export type RoutedParcel = z.infer<typeof routedParcelSchema>;
export type Routing = z.infer<typeof routingSchema>;

/** The reason marking a line held only where the destination is not served (checkout answers 422). */
export const UNSERVED = "held but not shipped to the destination";

type Assignment = Map<string, Array<{ sku: string; qty: number }>>;

/**
 * Routes an order (pure; decision 0028): the warehouse(s) that can ship it, then a carrier per parcel,
 * with the freight of each parcel and the readable reasons for every choice.
 *
 * 1. Warehouses that can ship to the destination (not avoided, not excluded by their freight template).
 * 2. One warehouse holding every line, if any: the cheapest by freight + distance cost.
 * 3. Otherwise a split (only then): greedily the warehouse covering most remaining lines (cheapest first);
 *    a line no warehouse holds whole is split by most sellable first, as the SKU actor would.
 * 4. Per parcel, an available carrier serving the destination: the cheapest meeting the promise, else
 *    the fastest.
 *
 * @example
 * route({ dest: "310104", lines, warehouses, stock, templates: [], carriers: DEFAULT_CARRIERS })
 */
export function route(input: RoutingInput): Routing {
  const o = { ...DEFAULT_ROUTING, ...input.options };
  const reasons: string[] = [];
  const avoidW = new Set(input.avoid?.warehouses ?? []);
  const regionOf = new Map(input.warehouses.map((w) => [w.code, w.region]));
  const usable = (w: string): boolean => {
    if (avoidW.has(w)) return false;
    const t = templateFor(input.templates, w, input.dest);
    return t?.kind !== "excluded";
  };
  for (const w of avoidW) reasons.push(`${w} avoided (re-routing after a failure)`);
  const sellable = (sku: string, w: string) => input.stock.get(sku)?.get(w) ?? 0;
  const candidates = [...new Set(input.lines.flatMap((l) => [...(input.stock.get(l.sku)?.keys() ?? [])]))]
    .filter((w) => {
      if (usable(w)) return true;
      if (!avoidW.has(w)) reasons.push(templateFor(input.templates, w, input.dest)!.reason);
      return false;
    })
    .sort();
  const score = (w: string, lines: readonly RouteLine[]) =>
    parcelFreight(
      input,
      w,
      lines.map((l) => ({ sku: l.sku, qty: l.qty })),
    ).fee +
    o.distanceCost * distance(regionOf.get(w), input.dest);
  const assignment: Assignment = new Map();
  const whole = candidates.filter((w) => input.lines.every((l) => sellable(l.sku, w) >= l.qty));
  if (whole.length > 0) {
    const ranked = whole
      .map((w) => ({ w, s: score(w, input.lines), d: distance(regionOf.get(w), input.dest) }))
      .sort((a, b) => a.s - b.s || a.d - b.d || a.w.localeCompare(b.w));
    const best = ranked[0]!;
    assignment.set(
      best.w,
      input.lines.map((l) => ({ sku: l.sku, qty: l.qty })),
    );
    reasons.push(
      `one warehouse holds every line: ${best.w} (${distanceName(best.d)}, cost ${best.s} = freight + ${o.distanceCost} × distance)`,
    );
    for (const r of ranked.slice(1))
      reasons.push(`${r.w} also holds every line but costs ${r.s} (${distanceName(r.d)})`);
  } else {
    reasons.push(
      candidates.length === 0
        ? "no warehouse holds these lines"
        : `no single warehouse holds every line (looked at ${candidates.join(", ")}): split, ${o.splitPenalty} fen per extra parcel`,
    );
    split(input, candidates, assignment, score, reasons);
  }
  const parcels = [...assignment].map(([w, lines]) => parcelOf(input, o, w, lines, regionOf.get(w)));
  if (parcels.length > 1)
    reasons.push(`${parcels.length} parcels: split penalty ${o.splitPenalty * (parcels.length - 1)} fen`);
  const freight = parcels.reduce((n, p) => n + p.freight, 0);
  return { dest: input.dest ?? null, parcels, freight, reasons };
}

/** Greedy split: the warehouse that covers most remaining lines whole; lines none holds whole are split. */
function split(
  input: RoutingInput,
  candidates: string[],
  assignment: Assignment,
  score: (w: string, lines: readonly RouteLine[]) => number,
  reasons: string[],
) {
  const sellable = (sku: string, w: string) => input.stock.get(sku)?.get(w) ?? 0;
  let left = input.lines.filter((l) => candidates.some((w) => sellable(l.sku, w) >= l.qty));
  while (left.length > 0) {
    const ranked = candidates
      .map((w) => {
        const lines = left.filter((l) => sellable(l.sku, w) >= l.qty);
        return { w, lines, s: score(w, lines) };
      })
      .filter((r) => r.lines.length > 0)
      .sort((a, b) => b.lines.length - a.lines.length || a.s - b.s || a.w.localeCompare(b.w));
    const best = ranked[0]!;
    assignment.set(best.w, [
      ...(assignment.get(best.w) ?? []),
      ...best.lines.map((l) => ({ sku: l.sku, qty: l.qty })),
    ]);
    reasons.push(`${best.w} ships ${best.lines.map((l) => `${l.qty} × ${l.sku}`).join(", ")}`);
    left = left.filter((l) => !best.lines.includes(l));
  }
  for (const l of input.lines) {
    if (candidates.some((w) => sellable(l.sku, w) >= l.qty)) continue;
    let need = l.qty;
    const byStock = candidates
      .map((w) => ({ w, free: sellable(l.sku, w) }))
      .filter((x) => x.free > 0)
      .sort((a, b) => b.free - a.free || a.w.localeCompare(b.w));
    for (const { w, free } of byStock) {
      if (need === 0) break;
      const take = Math.min(need, free);
      assignment.set(w, [...(assignment.get(w) ?? []), { sku: l.sku, qty: take }]);
      need -= take;
    }
    reasons.push(
      need > 0
        ? `${l.sku}: only ${l.qty - need} of ${l.qty} sellable where it can ship from (the order will be refused)`
        : `${l.sku}: no warehouse holds ${l.qty} whole; split by most sellable first`,
    );
    const barred = [...(input.stock.get(l.sku) ?? new Map<string, number>())]
      .filter(([w, n]) => n > 0 && !candidates.includes(w))
      .map(([w]) => w);
    if (need > 0 && barred.length > 0)
      reasons.push(`${l.sku}: ${UNSERVED} from ${barred.sort().join(", ")} (excluded or avoided)`);
  }
}

function templateFor(templates: readonly FreightTemplate[], warehouse: string, dest: string | undefined) {
  if (dest === undefined) return undefined;
  const own = templates.filter((t) => t.warehouse === warehouse).sort((a, b) => a.code.localeCompare(b.code));
  const probe = { weightGrams: 0, volumeCm3: 0, pieces: 0, goods: 0 };
  const excluded = own.map((t) => freightOf(t, dest, probe)).find((q) => q.kind === "excluded");
  if (excluded) return excluded;
  const t = own.find((x) => freightOf(x, dest, probe).kind !== "no_rule");
  return t ? { kind: "template" as const, template: t, reason: "" } : undefined;
}

/** The template fee of a parcel (before free shipping won elsewhere) and why. */
function parcelFreight(input: RoutingInput, warehouse: string, lines: Array<{ sku: string; qty: number }>) {
  const found = templateFor(input.templates, warehouse, input.dest);
  if (found === undefined || found.kind !== "template")
    return {
      fee: 0,
      reason:
        input.dest === undefined
          ? "no region code in the address: freight 0"
          : `no freight template of ${warehouse} prices ${input.dest}: freight 0`,
    };
  const byLine = new Map(input.lines.map((l) => [l.sku, l]));
  const measure = lines.reduce(
    (m, x) => {
      const l = byLine.get(x.sku)!;
      return {
        weightGrams: m.weightGrams + l.weightGrams * x.qty,
        volumeCm3: m.volumeCm3 + l.volumeCm3 * x.qty,
        pieces: m.pieces + x.qty,
        goods: m.goods + Math.floor((l.paid * x.qty) / l.qty),
      };
    },
    { weightGrams: 0, volumeCm3: 0, pieces: 0, goods: 0 },
  );
  const q = freightOf(found.template, input.dest!, measure);
  return { fee: q.kind === "charged" ? q.fee : 0, reason: q.reason };
}

function parcelOf(
  input: RoutingInput,
  o: RoutingOptions,
  warehouse: string,
  lines: Array<{ sku: string; qty: number }>,
  region: string | undefined,
): RoutedParcel {
  const reasons = [
    `${warehouse}: ${distanceName(distance(region, input.dest))} of ${input.dest ?? "an uncoded address"}`,
  ];
  const carrier = chooseCarrier(input, o, reasons, region);
  const f = parcelFreight(input, warehouse, lines);
  reasons.push(f.reason);
  let freight = f.fee;
  if (freight > 0 && input.freeShipping?.member) {
    reasons.push(`member level ships free: freight ${freight} waived`);
    freight = 0;
  } else if (freight > 0 && input.freeShipping?.promotion) {
    reasons.push(`free-shipping promotion: freight ${freight} waived`);
    freight = 0;
  }
  return { warehouse, carrier, lines, freight, reasons };
}

function chooseCarrier(
  input: RoutingInput,
  o: RoutingOptions,
  reasons: string[],
  from: string | undefined,
): string | null {
  const origin = from !== undefined && isRegionCode(from) ? from : undefined;
  const avoid = new Set(input.avoid?.carriers ?? []);
  const ok: Array<RoutingCarrier & { sla: number }> = [];
  for (const c of [...input.carriers].sort((a, b) => a.code.localeCompare(b.code))) {
    if (avoid.has(c.code)) reasons.push(`${c.code}: avoided (failed)`);
    else if (!c.available) reasons.push(`${c.code}: unavailable`);
    else if (!serves(c, input.dest))
      reasons.push(`${c.code}: does not serve ${input.dest ?? "uncoded addresses"}`);
    else ok.push({ ...c, sla: slaOnRoute(c, origin, input.dest) });
  }
  const fit = ok
    .filter((c) => c.sla <= o.promiseHours)
    .sort((a, b) => a.costRank - b.costRank || a.sla - b.sla);
  if (fit.length > 0) {
    const c = fit[0]!;
    for (const x of ok.filter((x) => x.sla > o.promiseHours))
      reasons.push(`${x.code}: SLA ${x.sla} h on this route exceeds the ${o.promiseHours} h promise`);
    reasons.push(
      `carrier ${c.code}: cheapest serving it within ${o.promiseHours} h (SLA ${c.sla} h on this route)`,
    );
    return c.code;
  }
  const fastest = [...ok].sort((a, b) => a.sla - b.sla || a.costRank - b.costRank)[0];
  if (fastest === undefined) {
    reasons.push("no available carrier serves the destination");
    return null;
  }
  reasons.push(
    `carrier ${fastest.code}: none meets the ${o.promiseHours} h promise; fastest (SLA ${fastest.sla} h on this route)`,
  );
  return fastest.code;
}

/**
 * Re-runs the carrier choice of a routing (a carrier failed, decision 0028): parcels and freight stay (the
 * stock is reserved where they say and the buyer paid that freight); each parcel gets a carrier again,
 * avoiding the failed ones, with the new reasons after the old.
 */
export function rechooseCarriers(
  routing: Routing,
  input: {
    carriers: readonly RoutingCarrier[];
    avoid: readonly string[];
    cause: string;
    /** warehouse → region, for each carrier's promise on the route. */
    regions?: ReadonlyMap<string, string>;
    options?: Partial<RoutingOptions>;
  },
): Routing {
  const o = { ...DEFAULT_ROUTING, ...input.options };
  const dest = routing.dest ?? undefined;
  const parcels = routing.parcels.map((p) => {
    const reasons = [...p.reasons, `re-routed: ${input.cause}`];
    const carrier = chooseCarrier(
      {
        dest,
        lines: [],
        warehouses: [],
        stock: new Map(),
        templates: [],
        carriers: input.carriers,
        avoid: { carriers: input.avoid },
      },
      o,
      reasons,
      input.regions?.get(p.warehouse),
    );
    return { ...p, carrier, reasons };
  });
  return { ...routing, parcels, reasons: [...routing.reasons, `carriers chosen again: ${input.cause}`] };
}
