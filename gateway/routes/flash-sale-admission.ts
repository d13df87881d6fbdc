import type { Context } from "hono";
import type { AdmissionTally } from "../../actors/flash-sale/index.ts";
import type { GatewayKit } from "../app.ts";
import type { FlashSaleAdmissionLimits, RateLimiter } from "../ports.ts";
import { ProblemError } from "../problem.ts";

/** The parts of a campaign's `get` reply checkout and admission read. */
export interface CampaignSnapshot {
  campaignId: string;
  name: string;
  sku: string;
  price: number;
  status: string;
  remaining: number;
  perUserLimit: number;
  startsAt: string;
  endsAt: string;
}

const KIND = "flash-sale";

/** The admission limits when a gateway is built without them (the config's defaults). */
export const FLASH_SALE_DEFAULTS: FlashSaleAdmissionLimits = {
  queueMax: 2_000,
  queuePerUnit: 2,
  userRatePerSecond: 5,
};

/** What a quote says of the flash sale it priced in. */
export const campaignQuote = (c: CampaignSnapshot) => ({
  campaignId: c.campaignId,
  sku: c.sku,
  price: c.price,
  status: c.status,
  remaining: c.remaining,
});

/** Reads a campaign from its actor (strongly consistent); an unknown id is 404 on field `campaignId`. */
export async function readCampaign(
  kit: GatewayKit,
  c: Context,
  campaignId: string,
): Promise<CampaignSnapshot> {
  try {
    return await kit.read<CampaignSnapshot>(c, KIND, campaignId);
  } catch (error) {
    if (error instanceof ProblemError && error.status === 404)
      throw new ProblemError(404, "not-found", `no flash-sale campaign ${campaignId}`, {
        field: "campaignId",
      });
    throw error;
  }
}

export const notActive = (campaign: CampaignSnapshot) =>
  new ProblemError(409, "campaign-not-active", `flash sale ${campaign.campaignId} is ${campaign.status}`, {
    field: "campaignId",
    status: campaign.status,
    startsAt: campaign.startsAt,
    endsAt: campaign.endsAt,
  });

/** A flash-sale campaign's refusal of an order (the order actor passes its reason on), as its own 409. */
function campaignProblem(error: unknown): never {
  if (error instanceof ProblemError && error.slug === "conflict") {
    const { reason, ...rest } = error.extra;
    const extra = { field: "campaignId", ...rest };
    if (reason === "sold-out") throw new ProblemError(409, "sold-out", error.message, extra);
    if (reason === "purchase-limit-reached")
      throw new ProblemError(409, "purchase-limit-reached", error.message, extra);
    if (reason === "campaign-not-active")
      throw new ProblemError(409, "campaign-not-active", error.message, extra);
  }
  throw error;
}

/**
 * Places a flash-sale order: reads the campaign from its actor, admits the buyer (fast paths and limits
 * below), runs `place` with the campaign, and maps the campaign's refusals to their problem types.
 */
export async function flashSaleOrder<T>(
  kit: GatewayKit,
  c: Context,
  admission: FlashSaleAdmission,
  campaignId: string,
  userId: string,
  place: (campaign: CampaignSnapshot) => Promise<T>,
): Promise<T> {
  const campaign = await readCampaign(kit, c, campaignId);
  const leave = await admission.admit(kit, c, campaign, userId);
  try {
    return await place(campaign).catch(campaignProblem);
  } finally {
    leave();
  }
}

const zero = (): AdmissionTally => ({ soldOut: 0, notActive: 0, rateLimited: 0, queueFull: 0, duplicate: 0 });

/**
 * Admission control of flash-sale orders on one gateway node (decision 0023), in front of the campaign's
 * actor: the sold-out fast path (a campaign with nothing left answers 409 `sold-out` from its read, with no
 * order, no SKU), a per-buyer rate limit (Redis, shared by every node: 429 `rate-limited`), a duplicate
 * guard (the same buyer's second order on the campaign while the first is in flight: 409
 * `duplicate-request`) and a bounded queue per campaign — at most `queuePerUnit` orders in flight per unit
 * left, and `queueMax` — (429 `queue-full` with `Retry-After`). Refusals
 * answered here are tallied to the campaign's actor in batches, so its `refused` figures count them.
 */
export class FlashSaleAdmission {
  readonly #limits: FlashSaleAdmissionLimits;
  readonly #limiter: RateLimiter;
  readonly #inFlight = new Map<string, number>();
  readonly #buyers = new Set<string>();
  readonly #tally = new Map<string, AdmissionTally>();
  readonly #sending = new Set<string>();

  constructor(limits: FlashSaleAdmissionLimits, limiter: RateLimiter) {
    this.#limits = limits;
    this.#limiter = limiter;
  }

  /** Orders of the campaign in flight on this node (the panel's queue length). */
  queueLength(campaignId: string): number {
    return this.#inFlight.get(campaignId) ?? 0;
  }

  /**
   * Admits one order of `userId` on the campaign or throws the refusal; the returned function ends its turn
   * (call it in `finally`).
   */
  async admit(kit: GatewayKit, c: Context, campaign: CampaignSnapshot, userId: string): Promise<() => void> {
    const id = campaign.campaignId;
    if (campaign.status !== "active") this.#refuse(kit, c, id, "notActive", notActive(campaign));
    if (campaign.remaining <= 0)
      this.#refuse(
        kit,
        c,
        id,
        "soldOut",
        new ProblemError(409, "sold-out", `flash sale ${id} is sold out`, { field: "campaignId" }),
      );
    const buyer = `${id}\u0000${userId}`;
    if (this.#buyers.has(buyer))
      this.#refuse(
        kit,
        c,
        id,
        "duplicate",
        new ProblemError(409, "duplicate-request", `an order of ${userId} on flash sale ${id} is in flight`, {
          field: "userId",
        }),
      );
    // The queue holds at most `queuePerUnit` orders per unit left (more could only be refused later) and
    // never more than `queueMax`: the rest hear 429 at once and may retry when units come back.
    const queued = this.queueLength(id);
    if (queued >= Math.min(this.#limits.queueMax, campaign.remaining * this.#limits.queuePerUnit))
      this.#refuse(
        kit,
        c,
        id,
        "queueFull",
        new ProblemError(
          429,
          "queue-full",
          `flash sale ${id} has ${queued} orders in flight for ${campaign.remaining} units; retry`,
          {},
          1,
        ),
      );
    this.#buyers.add(buyer);
    this.#inFlight.set(id, queued + 1);
    let done = false;
    const leave = () => {
      if (done) return;
      done = true;
      this.#buyers.delete(buyer);
      const n = (this.#inFlight.get(id) ?? 1) - 1;
      if (n > 0) this.#inFlight.set(id, n);
      else this.#inFlight.delete(id);
    };
    try {
      const hits = await this.#limiter.hit(`flash:${id}:${userId}`, 1);
      if (hits > this.#limits.userRatePerSecond)
        this.#refuse(
          kit,
          c,
          id,
          "rateLimited",
          new ProblemError(429, "rate-limited", `too many order attempts on flash sale ${id}; retry`, {}, 1),
        );
    } catch (error) {
      leave();
      throw error;
    }
    return leave;
  }

  /** Counts the refusal for the campaign, sends the tally if none is on its way, and throws the problem. */
  #refuse(kit: GatewayKit, c: Context, id: string, key: keyof AdmissionTally, problem: ProblemError): never {
    const t = this.#tally.get(id) ?? zero();
    t[key] += 1;
    this.#tally.set(id, t);
    this.#send(kit, c, id);
    throw problem;
  }

  /** One tally command per campaign at a time; what piles up meanwhile goes in the next. */
  #send(kit: GatewayKit, c: Context, id: string): void {
    if (this.#sending.has(id)) return;
    const counts = this.#tally.get(id);
    if (!counts) return;
    this.#tally.delete(id);
    this.#sending.add(id);
    kit
      .command(c, KIND, id, { type: "tally", counts }, { id: `tally:${crypto.randomUUID()}` })
      .catch(() => {
        // Statistics only: a tally lost to a failover is a count short, never a sale.
      })
      .finally(() => {
        this.#sending.delete(id);
        if (this.#tally.has(id)) this.#send(kit, c, id);
      });
  }
}
