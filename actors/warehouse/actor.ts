import { inventory } from "../inventory/index.ts";
import { orders } from "../order/index.ts";
import type { DecideContext, Decision, Effect, Reply, Resolution } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import type { ActorCall } from "../shared/index.ts";
import { RECEIVING, type WarehouseCommand, ZONES } from "./commands.ts";
import type { CountDifference, PickStep, PlacedLine, WarehouseEvent } from "./events.ts";
import { allocateLots, allowedZones, pickingRule, pickPath, suggestPutaway } from "./layout.ts";
import { physicalBySku, stockKey, type WarehouseState, type Wave } from "./state.ts";

type Cmd<T extends WarehouseCommand["type"]> = Extract<WarehouseCommand, { type: T }>;
type Result = Decision<WarehouseEvent>;

const effect = (key: string, call: ActorCall): Effect => ({ key, ...call });
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A bin at or above this share of its capacity is "near capacity" on the dashboard. */
export const NEAR_CAPACITY = 0.9;

/** A decision whose caller waits until `effects` are answered; `reply` (null: the last effect's) answers it. */
function awaiting(ctx: DecideContext, events: WarehouseEvent[], effects: Effect[], reply: unknown): Result {
  if (effects.length === 0) return { events, reply };
  const commandId = ctx.commandId;
  if (!commandId) return { events, reply, effects };
  return {
    events: [...events, { type: "awaiting", commandId, keys: effects.map((e) => e.key), reply }],
    reply,
    effects,
    defer: true,
  };
}

function receiptView(state: WarehouseState, receiptId: string) {
  const r = state.receipts.get(receiptId);
  if (!r) throw new DomainError("not_found", `no receipt ${receiptId} in this warehouse`, { receiptId });
  return {
    receiptId,
    status: r.status,
    reference: r.reference ?? null,
    putaway: r.lines.map((l) => ({ sku: l.sku, qty: l.qty, bin: l.bin, lot: l.lot, expiresAt: l.expiresAt })),
  };
}

function waveOf(state: WarehouseState, waveId: string): Wave {
  const wave = state.waves.get(waveId);
  if (!wave) throw new DomainError("not_found", `no wave ${waveId} in this warehouse`, { waveId });
  return wave;
}

/** A wave as the API shows it: pick lists per zone (steps in pick-path order), orders and progress. */
export function waveView(wave: Wave, warehouse: string) {
  const steps = wave.steps.map((s, step) => ({
    step,
    bin: s.bin,
    sku: s.sku,
    lot: s.lot,
    expiresAt: s.expiresAt,
    qty: s.qty,
    orderId: s.orderId,
    picked: s.picked,
  }));
  const pickLists = ZONES.map((zone) => ({
    zone,
    steps: steps.filter((_s, i) => wave.steps[i]!.zone === zone),
  })).filter((l) => l.steps.length > 0);
  const done = wave.steps.filter((s) => s.picked !== null).length;
  return {
    waveId: wave.waveId,
    warehouse,
    createdAt: new Date(wave.at).toISOString(),
    pickLists,
    orders: [...wave.orders.values()].map((o) => ({
      orderId: o.orderId,
      status: o.status,
      exception: o.exception ?? null,
      packCheck: o.packCheck ?? null,
    })),
    progress: { steps: wave.steps.length, picked: done, shortPicks: wave.shortPicks },
  };
}

const isOpen = (wave: Wave) =>
  [...wave.orders.values()].some((o) => o.status !== "shipped" && o.status !== "exception");

export function binLoad(state: WarehouseState, bin: string): number {
  let n = 0;
  for (const s of state.stock.values()) if (s.bin === bin) n += s.qty;
  return n;
}

/** The live figures of the warehouse dashboard (decision 0027). */
export function warehouseSummary(state: WarehouseState, now: number) {
  const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
  const pending = [...state.receipts.values()].filter((r) => r.status === "pending");
  const units = (lines: Array<{ qty: number }>) => lines.reduce((n, l) => n + l.qty, 0);
  const dueToday = pending.filter((r) => r.dueAt < dayStart + DAY_MS);
  const openWaves = [...state.waves.values()].filter(isOpen).map((w) => {
    const picked = w.steps.filter((s) => s.picked !== null).length;
    return {
      waveId: w.waveId,
      orders: w.orders.size,
      steps: w.steps.length,
      picked,
      progress: w.steps.length === 0 ? 1 : picked / w.steps.length,
      shortPicks: w.shortPicks,
    };
  });
  const binsNearCapacity = [...state.bins]
    .filter(([, b]) => b.capacity !== null)
    .map(([bin, b]) => ({ bin, load: binLoad(state, bin), capacity: b.capacity! }))
    .filter((b) => b.load >= b.capacity * NEAR_CAPACITY)
    .sort((a, b) => b.load / b.capacity - a.load / a.capacity || (a.bin < b.bin ? -1 : 1))
    .slice(0, 50);
  const suspect = new Set<string>();
  for (const s of state.stock.values()) if (s.suspect) suspect.add(s.bin);
  const shortPicks = [...state.waves.values()].reduce((n, w) => n + w.shortPicks, 0);
  const exceptions = [...state.waves.values()].flatMap((w) =>
    [...w.orders.values()]
      .filter((o) => o.status === "exception")
      .map((o) => ({ waveId: w.waveId, orderId: o.orderId, exception: o.exception ?? "" })),
  );
  const countDifferences = [...state.counts.values()]
    .filter((c) => c.differences.length > 0)
    .sort((a, b) => b.at - a.at)
    .slice(0, 50)
    .map((c) => ({
      countId: c.countId,
      bin: c.bin,
      status: c.status,
      lines: c.differences.length,
      units: c.differences.reduce((n, d) => n + Math.abs(d.counted - d.expected), 0),
    }));
  return {
    inboundDueToday: { receipts: dueToday.length, units: dueToday.reduce((n, r) => n + units(r.lines), 0) },
    putawayBacklog: { receipts: pending.length, units: pending.reduce((n, r) => n + units(r.lines), 0) },
    openWaves,
    pickRatePerHour: state.recentPicks.filter(([at]) => at > now - HOUR_MS).reduce((n, [, u]) => n + u, 0),
    shortPicks: { total: shortPicks, binsToCount: [...suspect].sort(), exceptions },
    binsNearCapacity,
    countDifferences,
    pendingEffects: state.pending.size,
  };
}

function checkPlacement(state: WarehouseState, bin: string, sku: string): void {
  if (bin === RECEIVING) return;
  const layout = state.bins.get(bin);
  if (!layout) throw new DomainError("invalid", `no bin ${bin} in this warehouse`, { field: "bin", bin });
  if (!allowedZones(state, sku).includes(layout.zone))
    throw new DomainError("invalid", `${sku} may not be stored in zone ${layout.zone} (bin ${bin})`, {
      field: "bin",
      bin,
      zone: layout.zone,
    });
}

const sameLines = (a: PlacedLine[], b: Array<{ sku: string; qty: number; lot: string | null }>) => {
  const sum = (lines: Array<{ sku: string; qty: number; lot: string | null }>) => {
    const m = new Map<string, number>();
    for (const l of lines)
      m.set(`${l.sku}\u0000${l.lot ?? ""}`, (m.get(`${l.sku}\u0000${l.lot ?? ""}`) ?? 0) + l.qty);
    return m;
  };
  const x = sum(a);
  const y = sum(b);
  return x.size === y.size && [...x].every(([k, v]) => y.get(k) === v);
};

export const warehouseHandlers = {
  get: (state: WarehouseState, _c: Cmd<"get">, ctx: DecideContext): Result => ({
    events: [],
    reply: {
      warehouse: ctx.id,
      bins: [...state.bins]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([bin, b]) => ({ bin, ...b, load: binLoad(state, bin) })),
      skuZones: [...state.skuZones].map(([sku, zones]) => ({ sku, zones })),
      settings: state.settings,
    },
  }),

  stock: (state: WarehouseState, c: Cmd<"stock">, ctx: DecideContext): Result => {
    const items = [...state.stock.values()]
      .filter((s) => (c.sku === undefined || s.sku === c.sku) && s.qty > 0)
      .sort((a, b) =>
        a.bin < b.bin ? -1 : a.bin > b.bin ? 1 : a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.seq - b.seq,
      )
      .map((s) => ({
        bin: s.bin,
        sku: s.sku,
        lot: s.lot,
        expiresAt: s.expiresAt,
        qty: s.qty,
        allocated: s.allocated,
        rule: pickingRule(state, s.sku),
      }));
    const staged = [...state.waves.values()].flatMap((w) =>
      [...w.orders.values()].flatMap((o) =>
        o.staged
          .filter((s) => c.sku === undefined || s.sku === c.sku)
          .map((s) => ({ waveId: w.waveId, orderId: o.orderId, sku: s.sku, lot: s.lot, qty: s.qty })),
      ),
    );
    return { events: [], reply: { warehouse: ctx.id, items, staged } };
  },

  /** Units per SKU over bins, lots, receiving and staging, and whether effects are still on their way. */
  totals: (state: WarehouseState, _c: Cmd<"totals">, ctx: DecideContext): Result => ({
    events: [],
    reply: {
      warehouse: ctx.id,
      pendingEffects: state.pending.size,
      skus: [...physicalBySku(state)]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([sku, qty]) => ({ sku, qty })),
    },
  }),

  binCount: (state: WarehouseState): Result => ({ events: [], reply: { bins: state.bins.size } }),

  wave: (state: WarehouseState, c: Cmd<"wave">, ctx: DecideContext): Result => ({
    events: [],
    reply: waveView(waveOf(state, c.waveId), ctx.id),
  }),

  receipt: (state: WarehouseState, c: Cmd<"receipt">): Result => ({
    events: [],
    reply: receiptView(state, c.receiptId),
  }),

  summary: (state: WarehouseState, c: Cmd<"summary">, ctx: DecideContext): Result => ({
    events: [],
    reply: { warehouse: ctx.id, ...warehouseSummary(state, c.now) },
  }),

  setBin: (state: WarehouseState, c: Cmd<"setBin">): Result => {
    if (c.bin === RECEIVING)
      throw new DomainError("invalid", `${RECEIVING} is the receiving location, not a bin`, { field: "bin" });
    const before = state.bins.get(c.bin);
    if (!before && state.bins.size >= 20_000)
      throw new DomainError("conflict", "a warehouse holds at most 20000 bins", { field: "bin" });
    const { type: _t, bin, capacity, ...layout } = c;
    const event: WarehouseEvent = { type: "binSet", bin, ...layout, capacity: capacity ?? null };
    const reply = { bin, ...layout, capacity: capacity ?? null, created: !before };
    return { events: [event], reply };
  },

  setSkuZones: (_state: WarehouseState, c: Cmd<"setSkuZones">): Result => {
    const zones = [...new Set(c.zones)];
    return { events: [{ type: "skuZonesSet", sku: c.sku, zones }], reply: { sku: c.sku, zones } };
  },

  configure: (state: WarehouseState, c: Cmd<"configure">): Result => {
    const settings = {
      countApprovalThreshold: c.countApprovalThreshold ?? state.settings.countApprovalThreshold,
      packTolerance: c.packTolerance ?? state.settings.packTolerance,
    };
    return { events: [{ type: "configured", ...settings }], reply: settings };
  },

  registerReceipt: (state: WarehouseState, c: Cmd<"registerReceipt">, ctx: DecideContext): Result => {
    const lines = c.lines.map((l) => ({ ...l, lot: l.lot ?? null }));
    const known = state.receipts.get(c.receiptId);
    if (known) {
      // The same receipt again (a retried seam call) gets the same suggestions; another one is refused.
      if (sameLines(known.lines, lines)) return { events: [], reply: receiptView(state, c.receiptId) };
      throw new DomainError("conflict", `receipt ${c.receiptId} was registered with other lines`, {
        receiptId: c.receiptId,
      });
    }
    const placed = suggestPutaway(state, c.lines);
    const event: WarehouseEvent = {
      type: "receiptRegistered",
      receiptId: c.receiptId,
      ...(c.reference ? { reference: c.reference } : {}),
      lines: placed,
      at: ctx.now,
      dueAt: c.dueAt ?? ctx.now,
    };
    return {
      events: [event],
      reply: {
        receiptId: c.receiptId,
        status: "pending",
        reference: c.reference ?? null,
        putaway: placed.map((l) => ({
          sku: l.sku,
          qty: l.qty,
          bin: l.bin,
          lot: l.lot,
          expiresAt: l.expiresAt,
        })),
      },
    };
  },

  confirmPutaway: (state: WarehouseState, c: Cmd<"confirmPutaway">, ctx: DecideContext): Result => {
    const receipt = state.receipts.get(c.receiptId);
    if (!receipt)
      throw new DomainError("not_found", `no receipt ${c.receiptId} in this warehouse`, {
        receiptId: c.receiptId,
      });
    if (receipt.status === "put_away") {
      throw new DomainError("conflict", `receipt ${c.receiptId} is already put away`, {
        receiptId: c.receiptId,
        receiptStatus: receipt.status,
      });
    }
    let lines = receipt.lines;
    if (c.lines) {
      const chosen = c.lines.map((l) => ({ ...l, lot: l.lot ?? null }));
      if (!sameLines(receipt.lines, chosen))
        throw new DomainError(
          "invalid",
          "the bins chosen must hold exactly the receipt's SKUs, lots and quantities",
          {
            field: "lines",
          },
        );
      for (const l of chosen) checkPlacement(state, l.bin, l.sku);
      const expiry = new Map(receipt.lines.map((l) => [`${l.sku}\u0000${l.lot ?? ""}`, l.expiresAt]));
      lines = chosen.map((l) => ({ ...l, expiresAt: expiry.get(`${l.sku}\u0000${l.lot ?? ""}`) ?? null }));
    }
    const perSku = new Map<string, number>();
    for (const l of lines) perSku.set(l.sku, (perSku.get(l.sku) ?? 0) + l.qty);
    const effects = [...perSku].map(([sku, qty]) =>
      effect(
        `putaway:${c.receiptId}:${sku}`,
        inventory.receive(sku, {
          warehouse: ctx.id,
          qty,
          reason: `putaway of receipt ${c.receiptId}`,
          ...(receipt.reference ? { reference: receipt.reference } : {}),
        }),
      ),
    );
    const reply = {
      receiptId: c.receiptId,
      status: "put_away",
      reference: receipt.reference ?? null,
      putaway: lines.map((l) => ({ sku: l.sku, qty: l.qty, bin: l.bin, lot: l.lot, expiresAt: l.expiresAt })),
    };
    return awaiting(
      ctx,
      [{ type: "putawayConfirmed", receiptId: c.receiptId, lines, at: ctx.now }],
      effects,
      reply,
    );
  },

  receiveUnplaced: (_state: WarehouseState, c: Cmd<"receiveUnplaced">, ctx: DecideContext): Result => {
    const key = `unplaced:${ctx.commandId ?? crypto.randomUUID()}`;
    const reason = c.reason ?? "inbound";
    const event: WarehouseEvent = {
      type: "receivedUnplaced",
      key,
      sku: c.sku,
      qty: c.qty,
      reason,
      ...(c.reference ? { reference: c.reference } : {}),
      at: ctx.now,
    };
    const call = inventory.receive(c.sku, {
      warehouse: ctx.id,
      qty: c.qty,
      reason,
      ...(c.reference ? { reference: c.reference } : {}),
    });
    return awaiting(ctx, [event], [effect(key, call)], null);
  },

  createWave: (state: WarehouseState, c: Cmd<"createWave">, ctx: DecideContext): Result => {
    if (state.waves.has(c.waveId))
      throw new DomainError("conflict", `wave ${c.waveId} exists`, { waveId: c.waveId });
    const used = new Map<string, number>();
    const steps: PickStep[] = [];
    const taken: Array<{ orderId: string; lines: Array<{ sku: string; qty: number }> }> = [];
    const exceptions: Array<{ orderId: string; sku: string; missing: number }> = [];
    const seen = new Set<string>();
    for (const order of c.orders) {
      if (c.skipWaved && state.orderWave.has(order.orderId)) continue;
      if (seen.has(order.orderId) || state.orderWave.has(order.orderId)) {
        throw new DomainError("conflict", `order ${order.orderId} is already in a wave`, {
          orderId: order.orderId,
          waveId: state.orderWave.get(order.orderId) ?? c.waveId,
        });
      }
      seen.add(order.orderId);
      const trial = new Map(used);
      const mine: PickStep[] = [];
      const missing: typeof exceptions = [];
      for (const line of order.lines) {
        const got = allocateLots(state, line.sku, line.qty, trial);
        mine.push(...got.steps.map((s) => ({ ...s, orderId: order.orderId })));
        if (got.missing > 0) missing.push({ orderId: order.orderId, sku: line.sku, missing: got.missing });
      }
      if (missing.length > 0) {
        exceptions.push(...missing);
        continue;
      }
      for (const [k, v] of trial) used.set(k, v);
      steps.push(...mine);
      taken.push({ orderId: order.orderId, lines: order.lines });
    }
    if (taken.length === 0) {
      throw new DomainError("conflict", "no order of the wave can be picked from the stock in bins", {
        reason: "wave_not_pickable",
        exceptions,
      });
    }
    const ordered = ZONES.flatMap((zone) =>
      pickPath(
        steps.filter((s) => s.zone === zone),
        state.bins,
      ),
    );
    const event: WarehouseEvent = {
      type: "waveCreated",
      waveId: c.waveId,
      at: ctx.now,
      orders: taken,
      steps: ordered,
      exceptions,
    };
    const wave: Wave = {
      waveId: c.waveId,
      at: ctx.now,
      steps: ordered.map((s) => ({ ...s, picked: null })),
      orders: new Map(taken.map((o) => [o.orderId, { ...o, status: "picking" as const, staged: [] }])),
      shortPicks: 0,
    };
    return { events: [event], reply: { ...waveView(wave, ctx.id), exceptions } };
  },

  confirmPicks: (state: WarehouseState, c: Cmd<"confirmPicks">, ctx: DecideContext): Result => {
    const wave = waveOf(state, c.waveId);
    const seen = new Set<number>();
    const used = new Map<string, number>();
    const exclude = new Set<string>();
    const reallocated: PickStep[] = [];
    const shorts: Array<{ orderId: string; sku: string; qty: number; bin: string }> = [];
    for (const pick of c.picks) {
      const step = wave.steps[pick.step];
      if (!step)
        throw new DomainError("invalid", `wave ${c.waveId} has no step ${pick.step}`, { field: "step" });
      if (seen.has(pick.step))
        throw new DomainError("invalid", `step ${pick.step} appears twice`, { field: "step" });
      seen.add(pick.step);
      if (step.picked !== null) {
        throw new DomainError("conflict", `step ${pick.step} of wave ${c.waveId} was already confirmed`, {
          step: pick.step,
          picked: step.picked,
        });
      }
      if (pick.qty > step.qty)
        throw new DomainError("invalid", `step ${pick.step} asks for ${step.qty}, not ${pick.qty}`, {
          field: "qty",
        });
      const order = wave.orders.get(step.orderId);
      if (order?.status !== "picking")
        throw new DomainError("conflict", `order ${step.orderId} is ${order?.status ?? "not in the wave"}`, {
          orderId: step.orderId,
        });
      const onHand = state.stock.get(stockKey(step.bin, step.sku, step.lot))?.qty ?? 0;
      const sameLot = c.picks
        .filter((p) => {
          const other = wave.steps[p.step];
          return other && other.bin === step.bin && other.sku === step.sku && other.lot === step.lot;
        })
        .reduce((n, p) => n + p.qty, 0);
      if (sameLot > onHand)
        throw new DomainError(
          "invalid",
          `bin ${step.bin} holds only ${onHand} of ${step.sku} lot ${step.lot ?? "-"}: count it`,
          {
            field: "qty",
            bin: step.bin,
          },
        );
      if (pick.qty < step.qty) exclude.add(stockKey(step.bin, step.sku, step.lot));
    }
    for (const pick of c.picks) {
      const step = wave.steps[pick.step]!;
      if (pick.qty >= step.qty) continue;
      // A short pick: the rest comes from other lots by the same rule, or the order becomes an exception.
      for (const key of exclude) used.set(key, Number.MAX_SAFE_INTEGER);
      const got = allocateLots(state, step.sku, step.qty - pick.qty, used);
      reallocated.push(...got.steps.map((s) => ({ ...s, orderId: step.orderId })));
      if (got.missing > 0)
        shorts.push({ orderId: step.orderId, sku: step.sku, qty: got.missing, bin: step.bin });
    }
    const event: WarehouseEvent = {
      type: "picksConfirmed",
      waveId: c.waveId,
      at: ctx.now,
      picks: c.picks,
      reallocated: pickPath(reallocated, state.bins),
      shorts,
    };
    // The reply shows the wave as it will be.
    const preview: Wave = {
      ...wave,
      steps: wave.steps.map((s, i) => {
        const p = c.picks.find((x) => x.step === i);
        return p ? { ...s, picked: p.qty } : s;
      }),
    };
    preview.steps.push(...event.reallocated.map((s) => ({ ...s, picked: null })));
    return {
      events: [event],
      reply: { ...waveView(preview, ctx.id), reallocated: event.reallocated.length, shorts },
    };
  },

  pack: (state: WarehouseState, c: Cmd<"pack">, ctx: DecideContext): Result => {
    const order = waveOf(state, c.waveId).orders.get(c.orderId);
    if (!order)
      throw new DomainError("not_found", `order ${c.orderId} is not in wave ${c.waveId}`, {
        orderId: c.orderId,
      });
    if (order.status !== "picked" && order.status !== "packed")
      throw new DomainError("conflict", `order ${c.orderId} is ${order.status}, not picked`, {
        orderId: c.orderId,
        status: order.status,
      });
    const weights = new Map(c.unitWeights.map((w) => [w.sku, w.grams]));
    const unknown = order.staged.filter((s) => (weights.get(s.sku) ?? null) === null).map((s) => s.sku);
    if (unknown.length > 0)
      throw new DomainError("invalid", `no weight known for ${unknown.join(", ")}`, {
        field: "weightGrams",
        skus: unknown,
      });
    const expected = order.staged.reduce((n, s) => n + s.qty * (weights.get(s.sku) ?? 0), 0);
    const ok = Math.abs(c.weightGrams - expected) <= state.settings.packTolerance * expected;
    return {
      events: [
        {
          type: "packed",
          waveId: c.waveId,
          orderId: c.orderId,
          weightGrams: c.weightGrams,
          expectedGrams: expected,
          ok,
          at: ctx.now,
        },
      ],
      reply: {
        waveId: c.waveId,
        orderId: c.orderId,
        status: ok ? "packed" : "picked",
        check: {
          ok,
          weightGrams: c.weightGrams,
          expectedGrams: expected,
          tolerance: state.settings.packTolerance,
        },
      },
    };
  },

  handover: (state: WarehouseState, c: Cmd<"handover">, ctx: DecideContext): Result => {
    const order = waveOf(state, c.waveId).orders.get(c.orderId);
    if (!order)
      throw new DomainError("not_found", `order ${c.orderId} is not in wave ${c.waveId}`, {
        orderId: c.orderId,
      });
    if (order.status !== "packed")
      throw new DomainError(
        "conflict",
        `order ${c.orderId} is ${order.status}: only packed orders are handed over`,
        {
          orderId: c.orderId,
          status: order.status,
        },
      );
    const call = orders.ship(c.orderId, {
      carrier: c.carrier,
      trackingNo: c.trackingNo,
      autoCompleteMs: c.autoCompleteMs,
    });
    return awaiting(
      ctx,
      [
        {
          type: "handedOver",
          waveId: c.waveId,
          orderId: c.orderId,
          carrier: c.carrier,
          trackingNo: c.trackingNo,
          at: ctx.now,
        },
      ],
      [effect(`ship:${c.orderId}`, call)],
      {
        waveId: c.waveId,
        orderId: c.orderId,
        status: "shipped",
        carrier: c.carrier,
        trackingNo: c.trackingNo,
      },
    );
  },

  /**
   * Ships an order straight from the bins (`POST /v1/orders/{id}/ship`): the same events a wave, its picks
   * and a handover would record, in one decision, so bins stay equal to physical stock. Short: refused,
   * nothing changes.
   */
  shipFromBins: (state: WarehouseState, c: Cmd<"shipFromBins">, ctx: DecideContext): Result => {
    const inWave = state.orderWave.get(c.orderId);
    if (inWave !== undefined || state.waves.has(c.waveId)) {
      const status = state.waves.get(inWave ?? c.waveId)?.orders.get(c.orderId)?.status ?? "shipped";
      throw new DomainError("conflict", `order ${c.orderId} is ${status} in wave ${inWave ?? c.waveId}`, {
        orderId: c.orderId,
        waveId: inWave ?? c.waveId,
        status,
      });
    }
    for (const wave of state.waves.values()) {
      const done = wave.orders.get(c.orderId);
      if (done)
        throw new DomainError("conflict", `order ${c.orderId} is ${done.status} in wave ${wave.waveId}`, {
          orderId: c.orderId,
          waveId: wave.waveId,
          status: done.status,
        });
    }
    const used = new Map<string, number>();
    const steps: PickStep[] = [];
    for (const line of c.lines) {
      const got = allocateLots(state, line.sku, line.qty, used);
      if (got.missing > 0)
        throw new DomainError(
          "conflict",
          `the bins of ${ctx.id} hold ${line.qty - got.missing} free units of ${line.sku}, the order needs ${line.qty}`,
          { reason: "bins_short", field: "sku", sku: line.sku, missing: got.missing },
        );
      steps.push(...got.steps.map((s) => ({ ...s, orderId: c.orderId })));
    }
    const ordered = ZONES.flatMap((zone) =>
      pickPath(
        steps.filter((s) => s.zone === zone),
        state.bins,
      ),
    );
    const trackingNo = c.trackingNo ?? "";
    const call = orders.ship(c.orderId, {
      carrier: c.carrier,
      ...(c.trackingNo ? { trackingNo: c.trackingNo } : {}),
      autoCompleteMs: c.autoCompleteMs,
    });
    return awaiting(
      ctx,
      [
        {
          type: "waveCreated",
          waveId: c.waveId,
          at: ctx.now,
          orders: [{ orderId: c.orderId, lines: c.lines }],
          steps: ordered,
          exceptions: [],
        },
        {
          type: "picksConfirmed",
          waveId: c.waveId,
          at: ctx.now,
          picks: ordered.map((s, step) => ({ step, qty: s.qty })),
          reallocated: [],
          shorts: [],
        },
        {
          type: "handedOver",
          waveId: c.waveId,
          orderId: c.orderId,
          carrier: c.carrier,
          trackingNo,
          at: ctx.now,
        },
      ],
      [effect(`ship:${c.orderId}`, call)],
      { orderId: c.orderId, status: "shipped" },
    );
  },

  openCount: (state: WarehouseState, c: Cmd<"openCount">, ctx: DecideContext): Result => {
    const known = state.counts.get(c.countId);
    if (known) {
      if (known.bin === c.bin)
        return { events: [], reply: { countId: c.countId, bin: c.bin, status: known.status } };
      throw new DomainError("conflict", `count ${c.countId} is for bin ${known.bin}`, { countId: c.countId });
    }
    if (c.bin !== RECEIVING && !state.bins.has(c.bin))
      throw new DomainError("not_found", `no bin ${c.bin} in this warehouse`, { field: "bin", bin: c.bin });
    // Blind: the counter is not told what the bin should hold.
    return {
      events: [{ type: "countOpened", countId: c.countId, bin: c.bin, at: ctx.now }],
      reply: { countId: c.countId, bin: c.bin, status: "open" },
    };
  },

  recordCount: (state: WarehouseState, c: Cmd<"recordCount">, ctx: DecideContext): Result => {
    const count = state.counts.get(c.countId);
    if (!count) throw new DomainError("not_found", `no count ${c.countId}`, { countId: c.countId });
    if (count.status !== "open")
      throw new DomainError("conflict", `count ${c.countId} is ${count.status}`, {
        countId: c.countId,
        status: count.status,
      });
    const key = (sku: string, lot: string | null) => `${sku}\u0000${lot ?? ""}`;
    const counted = new Map<string, { sku: string; lot: string | null; qty: number }>();
    for (const l of c.lines) {
      const k = key(l.sku, l.lot ?? null);
      if (counted.has(k))
        throw new DomainError("invalid", `${l.sku} lot ${l.lot ?? "-"} counted twice`, { field: "lines" });
      counted.set(k, { sku: l.sku, lot: l.lot ?? null, qty: l.qty });
    }
    const expected = new Map<
      string,
      { sku: string; lot: string | null; expiresAt: string | null; qty: number }
    >();
    for (const s of state.stock.values())
      if (s.bin === count.bin)
        expected.set(key(s.sku, s.lot), { sku: s.sku, lot: s.lot, expiresAt: s.expiresAt, qty: s.qty });
    const differences: CountDifference[] = [];
    for (const [k, e] of expected) {
      const n = counted.get(k)?.qty ?? 0;
      if (n !== e.qty)
        differences.push({ sku: e.sku, lot: e.lot, expiresAt: e.expiresAt, expected: e.qty, counted: n });
    }
    for (const [k, n] of counted) {
      if (expected.has(k) || n.qty === 0) continue;
      if (count.bin !== RECEIVING) checkPlacement(state, count.bin, n.sku);
      differences.push({ sku: n.sku, lot: n.lot, expiresAt: null, expected: 0, counted: n.qty });
    }
    const needsApproval = differences.some(
      (d) => Math.abs(d.counted - d.expected) > state.settings.countApprovalThreshold,
    );
    const reason = c.reason ?? "cycle count";
    const recorded: WarehouseEvent = {
      type: "countRecorded",
      countId: c.countId,
      differences,
      needsApproval,
      reason,
      by: ctx.meta.by ?? "",
      at: ctx.now,
    };
    const view = { countId: c.countId, bin: count.bin, differences, needsApproval };
    if (needsApproval) return { events: [recorded], reply: { ...view, status: "awaiting_approval" } };
    return applyCount(state, ctx, count.bin, c.countId, differences, reason, [recorded], view);
  },

  approveCount: (state: WarehouseState, c: Cmd<"approveCount">, ctx: DecideContext): Result => {
    const count = state.counts.get(c.countId);
    if (!count) throw new DomainError("not_found", `no count ${c.countId}`, { countId: c.countId });
    if (count.status !== "awaiting_approval")
      throw new DomainError("conflict", `count ${c.countId} is ${count.status}`, {
        countId: c.countId,
        status: count.status,
      });
    if (ctx.meta.by && ctx.meta.by === count.by)
      throw new DomainError(
        "conflict",
        "a count's differences are approved by another operator than the counter",
        {
          reason: "second_operator_required",
          countId: c.countId,
        },
      );
    const view = { countId: c.countId, bin: count.bin, differences: count.differences, needsApproval: true };
    return applyCount(state, ctx, count.bin, c.countId, count.differences, count.reason, [], view);
  },
};

/** Applies a count's differences to the bin and, through an adjustment with its reason, to each SKU actor. */
function applyCount(
  _state: WarehouseState,
  ctx: DecideContext,
  bin: string,
  countId: string,
  differences: CountDifference[],
  reason: string,
  events: WarehouseEvent[],
  view: object,
): Result {
  const perSku = new Map<string, { delta: number; lots: string[] }>();
  for (const d of differences) {
    const entry = perSku.get(d.sku) ?? { delta: 0, lots: [] };
    entry.delta += d.counted - d.expected;
    entry.lots.push(`${d.lot ?? "-"} ${d.counted - d.expected > 0 ? "+" : ""}${d.counted - d.expected}`);
    perSku.set(d.sku, entry);
  }
  const effects = [...perSku]
    .filter(([, e]) => e.delta !== 0)
    .map(([sku, e]) =>
      effect(
        `count:${countId}:${sku}`,
        inventory.adjustBy(sku, {
          warehouse: ctx.id,
          delta: e.delta,
          reason: `${reason} (count ${countId}, bin ${bin}, lot ${e.lots.join(", ")})`.slice(0, 300),
        }),
      ),
    );
  return awaiting(ctx, [...events, { type: "countApplied", countId, at: ctx.now }], effects, {
    ...view,
    status: "applied",
  });
}

/**
 * An answered effect: the outbox entry is settled; a handover learns whether the order shipped; a
 * command waiting on its effects is answered when the last one is in.
 */
export function onWarehouseEffect(
  state: WarehouseState,
  result: { key: string; reply: Reply },
  ctx: DecideContext,
): Result {
  const ok = result.reply.ok;
  const message = result.reply.ok ? undefined : result.reply.error.message;
  const events: WarehouseEvent[] = [
    { type: "effectSettled", key: result.key, ok, ...(message !== undefined ? { message } : {}) },
  ];
  if (result.key.startsWith("ship:")) {
    const orderId = result.key.slice("ship:".length);
    const waveId = state.orderWave.get(orderId) ?? "";
    events.push({
      type: "handoverSettled",
      waveId,
      orderId,
      ok,
      ...(message !== undefined ? { message } : {}),
      at: ctx.now,
    });
  }
  const resolve: Resolution[] = [];
  const commandId = state.pending.get(result.key);
  const waiting = commandId ? state.waiting.get(commandId) : undefined;
  if (commandId && waiting?.keys.every((k) => k === result.key)) {
    const failed = waiting.failed ?? message;
    if (failed !== undefined && !(ok && waiting.failed === undefined)) {
      const error = result.reply.ok ? { kind: "conflict" as const, message: failed } : result.reply.error;
      resolve.push({
        commandId,
        reply: { ok: false, error: { kind: error.kind as "conflict", message: error.message } },
      });
    } else {
      resolve.push({
        commandId,
        reply: { ok: true, value: waiting.reply ?? (result.reply.ok ? result.reply.value : null) },
      });
    }
  }
  return { events, reply: null, resolve };
}
