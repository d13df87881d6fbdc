import type { PaymentRisk, RateLimiter, RiskVerdict } from "../gateway/ports.ts";

export interface PaymentRiskRules {
  /** The most one payment may be (minor units). */
  maxAmount: number;
  /** The most payments one user may start per clock hour. */
  maxPerUserPerHour: number;
  blacklist: ReadonlySet<string>;
}

const HOUR_MS = 3_600_000;
/** A little longer than the hour, so a counter never expires while its hour is still current. */
const VELOCITY_KEY_TTL_SECONDS = 3_700;

/**
 * The payment risk rules, checked before a payment starts: blocked users, the single-payment limit,
 * then per-user velocity (counted per clock hour in the shared limiter, so only payments that pass
 * the other rules are counted).
 */
export class PaymentRiskRulesCheck implements PaymentRisk {
  readonly #rules: PaymentRiskRules;
  readonly #limiter: RateLimiter;
  readonly #now: () => number;
  constructor(rules: PaymentRiskRules, limiter: RateLimiter, now: () => number = Date.now) {
    this.#rules = rules;
    this.#limiter = limiter;
    this.#now = now;
  }

  async assess(payment: { userId: string; amount: number }): Promise<RiskVerdict> {
    if (this.#rules.blacklist.has(payment.userId)) return { allowed: false, reason: "blacklist" };
    if (payment.amount > this.#rules.maxAmount)
      return { allowed: false, reason: "amount", limit: this.#rules.maxAmount };
    const hour = Math.floor(this.#now() / HOUR_MS);
    const count = await this.#limiter.hit(`payvel:${payment.userId}:${hour}`, VELOCITY_KEY_TTL_SECONDS);
    if (count > this.#rules.maxPerUserPerHour)
      return { allowed: false, reason: "velocity", retryAfterSeconds: 3600 };
    return { allowed: true };
  }
}
