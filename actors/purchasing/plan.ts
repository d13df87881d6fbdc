/**
 * Purchase-plan suggestions (issue 12 item 2): how much of one SKU to buy for one warehouse, from its sales
 * velocity, sellable and in-transit stock, safety stock and the supplier's lead time, with the reasoning
 * spelled out. Pure: the plan store, the low-stock trigger and the tests share it.
 *
 * Rule: demand over the lead time plus the cover period is `ceil(daily × (leadTimeDays + coverDays))`; the
 * target position is that demand plus the safety stock (sellable stock already excludes the safety hold,
 * so the target keeps the safety stock whole after the demand is served); the position is sellable + in
 * transit. A line is suggested when the position is below the target, for the difference.
 */
export interface PlanInput {
  sku: string;
  warehouse: string;
  /** Units sold (reserved by orders not cancelled) in the window. */
  soldUnits: number;
  windowDays: number;
  sellable: number;
  inTransit: number;
  safetyStock: number;
  /** The chosen supplier (cheapest approved, then shortest lead time), or null when none supplies it. */
  supplier: { code: string; cost: number; leadTimeDays: number } | null;
  coverDays: number;
}

export interface PlanSuggestion {
  sku: string;
  warehouse: string;
  supplier: string | null;
  unitCost: number | null;
  suggestedQty: number;
  reasoning: {
    soldUnits: number;
    windowDays: number;
    dailyVelocity: number;
    leadTimeDays: number | null;
    coverDays: number;
    demand: number;
    safetyStock: number;
    sellable: number;
    inTransit: number;
    position: number;
    target: number;
    /** The same figures as a sentence, for the operator. */
    text: string;
  };
}

export const PLAN_DEFAULTS = { windowDays: 30, coverDays: 14 } as const;

/**
 * @example
 * suggestPurchase({ sku: "S", warehouse: "WH", soldUnits: 60, windowDays: 30, sellable: 5, inTransit: 0,
 *   safetyStock: 10, supplier: { code: "SUP", cost: 100, leadTimeDays: 7 }, coverDays: 14 })
 * // → suggestedQty 47: demand ceil(2/day × 21 days) = 42, target 42 + 10 = 52, position 5
 */
export function suggestPurchase(i: PlanInput): PlanSuggestion {
  const daily = i.windowDays > 0 ? i.soldUnits / i.windowDays : 0;
  const lead = i.supplier?.leadTimeDays ?? 0;
  const demand = Math.ceil(daily * (lead + i.coverDays) - 1e-9);
  const target = demand + i.safetyStock;
  const position = i.sellable + i.inTransit;
  const suggestedQty = Math.max(0, target - position);
  const rate = Math.round(daily * 100) / 100;
  const text = [
    `sold ${i.soldUnits} in ${i.windowDays} days (${rate}/day)`,
    i.supplier
      ? `lead time ${lead} days (${i.supplier.code}) + ${i.coverDays} days cover → demand ${demand}`
      : `no approved supplier lists ${i.sku}; ${i.coverDays} days cover → demand ${demand}`,
    `target ${demand} + safety stock ${i.safetyStock} = ${target}`,
    `position: sellable ${i.sellable} + in transit ${i.inTransit} = ${position}`,
    suggestedQty > 0 ? `suggest ${suggestedQty}` : "nothing to buy",
  ].join("; ");
  return {
    sku: i.sku,
    warehouse: i.warehouse,
    supplier: i.supplier?.code ?? null,
    unitCost: i.supplier?.cost ?? null,
    suggestedQty,
    reasoning: {
      soldUnits: i.soldUnits,
      windowDays: i.windowDays,
      dailyVelocity: rate,
      leadTimeDays: i.supplier ? lead : null,
      coverDays: i.coverDays,
      demand,
      safetyStock: i.safetyStock,
      sellable: i.sellable,
      inTransit: i.inTransit,
      position,
      target,
      text,
    },
  };
}
