import { inventory } from "../inventory/index.ts";
import type { DecideContext, Decision, Effect, Reply, Resolution } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { type ActorCall, isoTime } from "../shared/index.ts";
import type { Campaign, FlashSaleCommand } from "./commands.ts";
import type { FlashSaleEvent, FlashSaleRefusal } from "./events.ts";
import type { FlashSaleState } from "./state.ts";

type Cmd<T extends FlashSaleCommand["type"]> = Extract<FlashSaleCommand, { type: T }>;
type Result = Decision<FlashSaleEvent>;

/** Where a campaign stands at `now`. */
export type CampaignStatus = "allocating" | "failed" | "scheduled" | "active" | "ended";

const effect = (key: string, call: ActorCall): Effect => ({ key, ...call });

export function campaignStatus(state: FlashSaleState, now: number): CampaignStatus {
  const c = state.campaign!;
  if (state.allocationFailed !== null) return "failed";
  if (state.endedAt !== null || now >= c.endsAt) return "ended";
  if (state.allocated === 0) return "allocating";
  return now < c.startsAt ? "scheduled" : "active";
}

function requireCampaign(state: FlashSaleState, id: string): Campaign {
  if (!state.campaign) throw new DomainError("not_found", `no flash-sale campaign ${id}`);
  return state.campaign;
}

/** The campaign and its live counters: what `GET /v1/flash-sales/{id}` and a panel show. */
export function campaignView(id: string, state: FlashSaleState, now: number) {
  const c = requireCampaign(state, id);
  const status = campaignStatus(state, now);
  const refused =
    state.refused["campaign-not-active"] +
    state.refused["purchase-limit-reached"] +
    state.refused["sold-out"] +
    Object.values(state.admission).reduce((a, b) => a + b, 0);
  return {
    campaignId: id,
    name: c.name,
    sku: c.sku,
    price: c.price,
    stock: c.stock,
    perUserLimit: c.perUserLimit,
    startsAt: isoTime(c.startsAt),
    endsAt: isoTime(c.endsAt),
    status,
    allocated: state.allocated,
    sold: state.sold,
    remaining: status === "ended" || status === "failed" ? 0 : Math.max(0, state.allocated - state.sold),
    returned: state.returned,
    refused,
    refusals: {
      notActive: state.refused["campaign-not-active"] + state.admission.notActive,
      purchaseLimit: state.refused["purchase-limit-reached"],
      soldOut: state.refused["sold-out"] + state.admission.soldOut,
      rateLimited: state.admission.rateLimited,
      queueFull: state.admission.queueFull,
      duplicate: state.admission.duplicate,
    },
    /** Orders whose units the SKU is reserving right now. */
    pending: [...state.holdings.values()].filter((h) => h.state === "reserving").length,
    createdAt: isoTime(state.createdAt ?? 0),
    endedAt: state.endedAt === null ? null : isoTime(state.endedAt),
    endReason: state.endReason,
    failure: state.allocationFailed,
  };
}

const ok = (commandId: string, value: unknown): Resolution => ({ commandId, reply: { ok: true, value } });

/** A refusal is recorded (a panel counts refusals) and answered as a 409 with its reason. */
function refusal(
  ctx: DecideContext,
  reason: FlashSaleRefusal,
  message: string,
  c: Cmd<"reserve">,
  details: Record<string, unknown>,
): Result {
  const error = { kind: "conflict" as const, message, details: { reason, campaignId: ctx.id, ...details } };
  if (ctx.commandId === undefined) throw new DomainError("conflict", message, error.details);
  return {
    events: [{ type: "refused", userId: c.userId, qty: c.qty, reason, at: ctx.now }],
    reply: null,
    defer: true,
    resolve: [{ commandId: ctx.commandId, reply: { ok: false, error } }],
  };
}

/** Ends the campaign: the SKU takes back what is left of the allocation (answered on `returned`). */
function endCampaign(state: FlashSaleState, ctx: DecideContext, reason: string, command?: string): Result {
  const c = state.campaign!;
  const events: FlashSaleEvent[] = [
    {
      type: "ended",
      reason,
      ...(command ? { command } : {}),
      at: ctx.now,
      by: ctx.meta.by ?? "system",
    },
  ];
  const allocatedYet = state.allocated > 0;
  return {
    events,
    reply: null,
    timers: { cancel: ["start", "end"] },
    // Before the allocation settled there is nothing to give back yet: `onEffect` returns it then.
    ...(allocatedYet
      ? { effects: [effect("deallocate", inventory.deallocate(c.sku, { campaignId: ctx.id, reason }))] }
      : {}),
    ...(command ? { defer: allocatedYet } : {}),
  };
}

export const flashSaleHandlers = {
  get: (state: FlashSaleState, _c: Cmd<"get">, ctx: DecideContext): Result => ({
    events: [],
    reply: campaignView(ctx.id, state, ctx.now),
  }),

  purchases: (state: FlashSaleState, c: Cmd<"purchases">, ctx: DecideContext): Result => {
    const t = requireCampaign(state, ctx.id);
    const held = state.perUser.get(c.userId) ?? 0;
    return {
      events: [],
      reply: { campaignId: ctx.id, userId: c.userId, units: held, left: Math.max(0, t.perUserLimit - held) },
    };
  },

  create: (state: FlashSaleState, c: Cmd<"create">, ctx: DecideContext): Result => {
    if (state.campaign) {
      if (JSON.stringify(state.campaign) === JSON.stringify(c.campaign) && state.createCommand === null) {
        if (state.allocationFailed !== null)
          throw new DomainError("insufficient_stock", state.allocationFailed, { sku: c.campaign.sku });
        return { events: [], reply: { campaignId: ctx.id } };
      }
      throw new DomainError("conflict", `flash-sale campaign ${ctx.id} already exists`, {
        campaignId: ctx.id,
      });
    }
    if (c.campaign.endsAt <= ctx.now)
      throw new DomainError("invalid", "the campaign would already be over", { field: "endsAt" });
    return {
      events: [
        {
          type: "created",
          campaign: c.campaign,
          command: ctx.commandId ?? "",
          at: ctx.now,
          by: ctx.meta.by ?? "system",
        },
      ],
      reply: null,
      // Answered once the SKU set the stock aside: an already-open campaign is active when 201 returns.
      defer: true,
      effects: [
        effect("allocate", inventory.allocate(c.campaign.sku, { campaignId: ctx.id, qty: c.campaign.stock })),
      ],
    };
  },

  reserve: (state: FlashSaleState, c: Cmd<"reserve">, ctx: DecideContext): Result => {
    const t = requireCampaign(state, ctx.id);
    const holding = state.holdings.get(c.orderId);
    if (holding?.state === "reserved" && holding.qty === c.qty)
      return { events: [], reply: { orderId: c.orderId, lines: holding.lines } };
    if (holding || state.closed.has(c.orderId))
      throw new DomainError("conflict", `order ${c.orderId} already took part in campaign ${ctx.id}`, {
        orderId: c.orderId,
      });
    const status = campaignStatus(state, ctx.now);
    if (status !== "active")
      return refusal(ctx, "campaign-not-active", `campaign ${ctx.id} is ${status}`, c, {
        status,
        startsAt: isoTime(t.startsAt),
        endsAt: isoTime(t.endsAt),
      });
    const bought = state.perUser.get(c.userId) ?? 0;
    if (bought + c.qty > t.perUserLimit)
      return refusal(
        ctx,
        "purchase-limit-reached",
        `user ${c.userId} may buy at most ${t.perUserLimit} of campaign ${ctx.id} (has ${bought})`,
        c,
        { perUserLimit: t.perUserLimit, bought },
      );
    const remaining = state.allocated - state.sold;
    if (remaining < c.qty)
      return refusal(ctx, "sold-out", `campaign ${ctx.id} has ${remaining} left`, c, { remaining });
    return {
      events: [
        {
          type: "held",
          orderId: c.orderId,
          userId: c.userId,
          qty: c.qty,
          command: ctx.commandId ?? "",
          at: ctx.now,
        },
      ],
      reply: null,
      defer: true,
      // The units come out of the campaign's allocation on the SKU, under the order's id.
      effects: [
        effect(
          `reserve:${c.orderId}`,
          inventory.reserve(t.sku, { orderId: c.orderId, qty: c.qty, userId: c.userId, campaignId: ctx.id }),
        ),
      ],
    };
  },

  release: (state: FlashSaleState, c: Cmd<"release">, ctx: DecideContext): Result => {
    const t = requireCampaign(state, ctx.id);
    const holding = state.holdings.get(c.orderId);
    if (!holding || holding.state === "releasing")
      // Given back already (or never taken): nothing held, nothing to do.
      return { events: [], reply: { orderId: c.orderId, released: [] } };
    if (holding.state === "reserving")
      throw new DomainError("conflict", `order ${c.orderId} is still being reserved`, { orderId: c.orderId });
    const reason = c.reason ?? "released";
    return {
      events: [
        {
          type: "released",
          orderId: c.orderId,
          qty: holding.qty,
          reason,
          command: ctx.commandId ?? "",
          at: ctx.now,
        },
      ],
      reply: null,
      defer: true,
      effects: [effect(`release:${c.orderId}`, inventory.release(t.sku, { orderId: c.orderId, reason }))],
    };
  },

  end: (state: FlashSaleState, c: Cmd<"end">, ctx: DecideContext): Result => {
    requireCampaign(state, ctx.id);
    if (state.endedAt !== null || state.allocationFailed !== null)
      return { events: [], reply: campaignView(ctx.id, state, ctx.now) };
    const ended = endCampaign(state, ctx, c.reason ?? "ended by an operator", ctx.commandId);
    if (ended.defer) return ended;
    return { ...ended, reply: campaignView(ctx.id, { ...state, endedAt: ctx.now }, ctx.now) };
  },

  tally: (state: FlashSaleState, c: Cmd<"tally">, ctx: DecideContext): Result => {
    requireCampaign(state, ctx.id);
    if (Object.values(c.counts).every((n) => n === 0)) return { events: [], reply: { tallied: false } };
    return {
      events: [{ type: "admissionTallied", counts: c.counts, at: ctx.now }],
      reply: { tallied: true },
    };
  },
};

/** The SKU's answers: the allocation, each order's units, the release, the return at the end. */
export function onFlashSaleEffect(
  state: FlashSaleState,
  result: { key: string; reply: Reply },
  ctx: DecideContext,
): Result {
  const i = result.key.indexOf(":");
  const action = i < 0 ? result.key : result.key.slice(0, i);
  const orderId = i < 0 ? "" : result.key.slice(i + 1);
  const c = state.campaign!;
  if (action === "allocate") {
    const command = state.createCommand ?? "";
    if (!result.reply.ok) {
      const reason = result.reply.error.message;
      return {
        events: [{ type: "allocationFailed", reason, at: ctx.now }],
        reply: null,
        resolve: [
          {
            commandId: command,
            reply: {
              ok: false,
              error: {
                kind: result.reply.error.kind === "insufficient_stock" ? "insufficient_stock" : "conflict",
                message: `cannot allocate ${c.stock} of ${c.sku}: ${reason}`,
                details: { sku: c.sku, field: "stock" },
              },
            },
          },
        ],
      };
    }
    const lines = inventory.allocationReply(result.reply.value).lines;
    const events: FlashSaleEvent[] = [{ type: "allocated", lines, at: ctx.now }];
    const resolve = [ok(command, { campaignId: ctx.id })];
    if (state.endedAt !== null) {
      // Ended while allocating: give it straight back.
      return {
        events,
        reply: null,
        resolve,
        effects: [effect("deallocate", inventory.deallocate(c.sku, { campaignId: ctx.id, reason: "ended" }))],
      };
    }
    const open = ctx.now >= c.startsAt;
    if (open) events.push({ type: "started", at: ctx.now });
    return {
      events,
      reply: null,
      resolve,
      timers: {
        set: [...(open ? [] : [{ name: "start", at: c.startsAt }]), { name: "end", at: c.endsAt }],
      },
    };
  }
  if (action === "reserve") {
    const h = state.holdings.get(orderId);
    if (!h) return { events: [], reply: null };
    if (result.reply.ok) {
      const lines = inventory.reservationReply(result.reply.value).lines;
      return {
        events: [{ type: "confirmed", orderId, lines }],
        reply: null,
        resolve: [ok(h.command, { orderId, lines })],
      };
    }
    const message = result.reply.error.message;
    return {
      events: [{ type: "holdFailed", orderId, qty: h.qty, reason: message, at: ctx.now }],
      reply: null,
      resolve: [
        {
          commandId: h.command,
          reply: {
            ok: false,
            error: {
              kind: "conflict",
              message: `campaign ${ctx.id}: ${message}`,
              details: { reason: "sold-out", campaignId: ctx.id },
            },
          },
        },
      ],
    };
  }
  if (action === "release") {
    const h = state.holdings.get(orderId);
    if (!h) return { events: [], reply: null };
    // A reservation the SKU no longer holds (released or shipped before) has nothing more to give back.
    const released = result.reply.ok ? ((result.reply.value as { released?: unknown }).released ?? []) : [];
    return {
      events: [{ type: "releaseSettled", orderId }],
      reply: null,
      resolve: [ok(h.command, { orderId, released })],
    };
  }
  if (action === "deallocate") {
    const value = result.reply.ok ? (result.reply.value as { returned?: unknown }) : {};
    const lines = Array.isArray(value.returned)
      ? (value.returned as Array<{ warehouse: string; qty: number }>).filter((l) => l.qty > 0)
      : [];
    const qty = lines.reduce((n, l) => n + l.qty, 0);
    const command = state.endCommand;
    const after = { ...state, returned: qty };
    return {
      events: [{ type: "returned", lines, qty, at: ctx.now }],
      reply: null,
      ...(command ? { resolve: [ok(command, campaignView(ctx.id, after, ctx.now))] } : {}),
    };
  }
  return { events: [], reply: null };
}

/** The `start` timer marks the opening; the `end` timer closes the campaign and returns what is left. */
export function onFlashSaleTimer(state: FlashSaleState, timer: { name: string }, ctx: DecideContext): Result {
  if (!state.campaign || state.endedAt !== null) return { events: [], reply: null };
  if (timer.name === "start" && !state.started)
    return { events: [{ type: "started", at: ctx.now }], reply: null };
  if (timer.name === "end") return endCampaign(state, ctx, "the campaign's window closed");
  return { events: [], reply: null };
}
