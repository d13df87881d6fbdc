import { inWindow, type PriceRules } from "./rules.ts";

/** The member level a buyer holds, as the member module's ladder defines it. */
export interface BuyerLevel {
  name: string;
  /** Whole percent off the list price, 0–100. */
  discountPercent: number;
}

export type PriceSource = "list" | `member:${string}` | `channel:${string}` | "schedule";

/** One price that applies now, and which rule gave it. */
export interface PriceCandidate {
  source: PriceSource;
  price: number;
  /** How a member candidate was reached: the SKU's explicit level price, or the level's percent discount. */
  basis?: "level-price" | "level-discount";
}

export interface PriceQuestion {
  /** Integer fen. */
  listPrice: number;
  level: BuyerLevel;
  rules: PriceRules;
  /** The sales channel the buyer is on; no channel price applies without one. */
  channel?: string;
  /** Epoch ms. */
  now: number;
}

export interface ResolvedPrice {
  unitPrice: number;
  source: PriceSource;
  /** Every price that applies now, in tie-break order (list, member, channel, schedule). */
  candidates: PriceCandidate[];
}

/**
 * THE rounding rule of the resolver, the only place a fraction of a fen can arise: `percent` off `price`,
 * rounded half up to a whole fen (1990 fen at 5 % off is 1890.5 → 1891). Integer arithmetic only.
 */
export function percentOff(price: number, percent: number): number {
  return Math.floor((price * (100 - percent) + 50) / 100);
}

/**
 * What this buyer pays for one unit now, and why: the lowest price among those that apply wins.
 *
 * - `list`: the list price, always a candidate.
 * - `member:<level>`: the SKU's explicit price for the buyer's level while its window holds `now`; it
 *   overrides the level's percent discount on this SKU (an operator can hold a low-margin SKU at a chosen
 *   member price, even one above the discounted price). Otherwise the level's percent discount off the
 *   list price, when above 0 %.
 * - `channel:<name>`: the SKU's price for the buyer's channel, in its window.
 * - `schedule`: a schedule whose window `[from, to)` holds `now`.
 *
 * Equal prices: the earlier source in the order list, member, channel, schedule wins — a rule is named
 * only when it makes the price strictly lower than the one before it. No stacking: a discount applies to
 * the list price only, never on top of another rule's price.
 */
export function resolvePrice(q: PriceQuestion): ResolvedPrice {
  const candidates: PriceCandidate[] = [{ source: "list", price: q.listPrice }];
  const member = `member:${q.level.name}` as const;
  const levelPrice = q.rules.memberLevels.get(q.level.name);
  if (levelPrice && inWindow(levelPrice, q.now)) {
    candidates.push({ source: member, price: levelPrice.price, basis: "level-price" });
  } else if (q.level.discountPercent > 0) {
    candidates.push({
      source: member,
      price: percentOff(q.listPrice, q.level.discountPercent),
      basis: "level-discount",
    });
  }
  const channelPrice = q.channel === undefined ? undefined : q.rules.channels.get(q.channel);
  if (channelPrice && inWindow(channelPrice, q.now)) {
    candidates.push({ source: `channel:${q.channel}`, price: channelPrice.price });
  }
  for (const schedule of q.rules.schedules) {
    if (inWindow(schedule, q.now)) candidates.push({ source: "schedule", price: schedule.price });
  }
  let best = candidates[0]!;
  for (const c of candidates) if (c.price < best.price) best = c;
  return { unitPrice: best.price, source: best.source, candidates };
}
