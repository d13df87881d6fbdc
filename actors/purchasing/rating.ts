/**
 * A supplier's rating from its receipts (issue 12 item 1): on-time rate, acceptance rate and price trend,
 * weighted into a score and a grade. Pure, so the actor, its tests and the docs agree on one rule.
 */
export interface RatingInputs {
  /** Receipts recorded. */
  receipts: number;
  /** Receipts that arrived on time (no later than one day after the PO's `expectedAt`, or no date promised). */
  onTime: number;
  acceptedUnits: number;
  rejectedUnits: number;
  /** Per SKU, the unit cost of its first and of its latest receipt, in fen. */
  prices: ReadonlyMap<string, { first: number; last: number }>;
}

export type SupplierGrade = "A" | "B" | "C" | "D";

export interface SupplierRating {
  receipts: number;
  /** 0–1, null before the first receipt. */
  onTimeRate: number | null;
  acceptanceRate: number | null;
  /** Mean relative change of unit cost from each SKU's first receipt to its latest (0.05 = 5 % dearer). */
  priceTrend: number | null;
  /** 0–100. */
  score: number | null;
  /** A ≥ 90, B ≥ 75, C ≥ 60, else D; null (unrated) before the first receipt. */
  grade: SupplierGrade | null;
}

/** Weights of the score: delivery and quality dominate; a rising price costs up to a tenth. */
export const RATING_WEIGHTS = { onTime: 0.45, acceptance: 0.45, price: 0.1 } as const;

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * @example
 * supplierRating({ receipts: 4, onTime: 3, acceptedUnits: 95, rejectedUnits: 5, prices: new Map() })
 * // → { onTimeRate: 0.75, acceptanceRate: 0.95, priceTrend: 0, score: 87, grade: "B", receipts: 4 }
 */
export function supplierRating(r: RatingInputs): SupplierRating {
  if (r.receipts === 0)
    return {
      receipts: 0,
      onTimeRate: null,
      acceptanceRate: null,
      priceTrend: null,
      score: null,
      grade: null,
    };
  const onTimeRate = r.onTime / r.receipts;
  const units = r.acceptedUnits + r.rejectedUnits;
  const acceptanceRate = units === 0 ? 1 : r.acceptedUnits / units;
  let trend = 0;
  for (const p of r.prices.values()) trend += p.first === 0 ? 0 : (p.last - p.first) / p.first;
  const priceTrend = r.prices.size === 0 ? 0 : trend / r.prices.size;
  // Cheaper or steady prices score fully; 20 % dearer or more scores nothing.
  const priceScore = Math.max(0, Math.min(1, 1 - Math.max(0, priceTrend) * 5));
  const score = Math.round(
    100 *
      (RATING_WEIGHTS.onTime * onTimeRate +
        RATING_WEIGHTS.acceptance * acceptanceRate +
        RATING_WEIGHTS.price * priceScore),
  );
  const grade: SupplierGrade = score >= 90 ? "A" : score >= 75 ? "B" : score >= 60 ? "C" : "D";
  return {
    receipts: r.receipts,
    onTimeRate: round(onTimeRate, 4),
    acceptanceRate: round(acceptanceRate, 4),
    priceTrend: round(priceTrend, 4),
    score,
    grade,
  };
}
