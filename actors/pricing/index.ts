export { priceChange } from "./approval.ts";

/**
 * Pricing: the one resolver checkout and quotes get unit prices from (pure, no I/O). Storage keeps the
 * rules (`storage/pricing/`); the gateway reads the buyer's level from the member actor and asks here.
 * Precedence and rounding: docs/decisions/0015-price-resolution.md.
 */
import { DEFAULT_LEVELS, type MemberLevel } from "../member/index.ts";

export {
  type BuyerLevel,
  type PriceCandidate,
  type PriceQuestion,
  type PriceSource,
  percentOff,
  type ResolvedPrice,
  resolvePrice,
} from "./resolver.ts";
export {
  checkRules,
  inWindow,
  MAX_SCHEDULES,
  noRules,
  type PriceRules,
  type PriceRulesView,
  type PriceSchedule,
  type PriceWindow,
  type RuleProblem,
  rulesView,
  type WindowedPrice,
  type WindowedPriceView,
} from "./rules.ts";

/** The member ladder prices are resolved against (the member kind's, `memberKind`). */
export const PRICING_LEVELS: readonly MemberLevel[] = DEFAULT_LEVELS;

/** The level of a buyer the member module does not know (no user, or no member record): the lowest. */
export const LOWEST_LEVEL: MemberLevel = PRICING_LEVELS[0]!;
