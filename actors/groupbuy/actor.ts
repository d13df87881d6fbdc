import { orders } from "../order/index.ts";
import type { DecideContext, Decision, Effect, Reply } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { isoTime } from "../shared/index.ts";
import { type GroupBuyCampaign, type GroupBuyCommand, HOUR_MS } from "./commands.ts";
import type { GroupBuyEvent } from "./events.ts";
import type { Group, GroupBuyState } from "./state.ts";

type Cmd<T extends GroupBuyCommand["type"]> = Extract<GroupBuyCommand, { type: T }>;
type Result = Decision<GroupBuyEvent>;

/** Why a join was refused: `details.reason`, the gateway's problem type. */
export type GroupBuyRefusal =
  | "group-buy-not-active"
  | "group-full"
  | "group-closed"
  | "already-in-group"
  | "group-not-found"
  | "qty-over-limit";

const refuse = (reason: GroupBuyRefusal, message: string, details: Record<string, unknown> = {}) =>
  new DomainError("conflict", message, { reason, ...details });

/** A group's id: the campaign's id, `-g`, and the group's number (any group id leads to its campaign). */
export const groupIdFor = (groupBuyId: string, n: number): string => `${groupBuyId}-g${n}`;

/** The campaign a group id belongs to, or undefined when it is not a group id. */
export function groupBuyOfGroup(groupId: string): string | undefined {
  const m = /^(.+)-g([1-9][0-9]*)$/.exec(groupId);
  return m ? m[1] : undefined;
}

/** The durable timer that fails a group still open at its deadline. */
const deadlineTimer = (groupId: string) => `deadline:${groupId}`;

function requireCampaign(state: GroupBuyState, id: string): GroupBuyCampaign {
  if (!state.campaign) throw new DomainError("not_found", `no group buy ${id}`);
  return state.campaign;
}

export function campaignPhase(c: GroupBuyCampaign, now: number): "scheduled" | "active" | "ended" {
  if (now >= c.endsAt) return "ended";
  return now < c.startsAt ? "scheduled" : "active";
}

export function groupView(groupBuyId: string, groupId: string, g: Group, c: GroupBuyCampaign) {
  return {
    groupId,
    groupBuyId,
    sku: c.sku,
    price: c.price,
    groupSize: c.groupSize,
    status: g.status,
    openedAt: isoTime(g.openedAt),
    deadline: isoTime(g.deadline),
    closedAt: g.closedAt === null ? null : isoTime(g.closedAt),
    seatsTaken: g.members.length,
    seatsLeft: g.status === "open" ? c.groupSize - g.members.length : 0,
    paid: g.members.filter((m) => m.paid).length,
    members: g.members.map((m) => ({
      orderId: m.orderId,
      userId: m.userId,
      joinedAt: isoTime(m.joinedAt),
      paid: m.paid,
    })),
  };
}

export function campaignView(id: string, state: GroupBuyState, now: number) {
  const c = requireCampaign(state, id);
  return {
    groupBuyId: id,
    name: c.name,
    sku: c.sku,
    price: c.price,
    groupSize: c.groupSize,
    formHours: c.formHours,
    maxQtyPerOrder: c.maxQtyPerOrder,
    startsAt: isoTime(c.startsAt),
    endsAt: isoTime(c.endsAt),
    status: campaignPhase(c, now),
    createdAt: isoTime(state.createdAt ?? 0),
    groups: { opened: state.opened, formed: state.formed, failed: state.failed },
  };
}

function requireGroup(state: GroupBuyState, groupId: string, id: string): Group {
  const g = state.groups.get(groupId);
  if (!g) throw new DomainError("not_found", `group buy ${id} has no group ${groupId}`, { field: "groupId" });
  return g;
}

const effect = (key: string, call: { to: { kind: string; id: string }; cmd: { type: string } }): Effect => ({
  key,
  ...(call as Omit<Effect, "key">),
});

export const groupBuyHandlers = {
  get: (state: GroupBuyState, _c: Cmd<"get">, ctx: DecideContext): Result => ({
    events: [],
    reply: {
      ...campaignView(ctx.id, state, ctx.now),
      list: [...state.groups.entries()].map(([gid, g]) => groupView(ctx.id, gid, g, state.campaign!)),
    },
  }),

  group: (state: GroupBuyState, c: Cmd<"group">, ctx: DecideContext): Result => {
    const campaign = requireCampaign(state, ctx.id);
    return {
      events: [],
      reply: groupView(ctx.id, c.groupId, requireGroup(state, c.groupId, ctx.id), campaign),
    };
  },

  create: (state: GroupBuyState, c: Cmd<"create">, ctx: DecideContext): Result => {
    if (state.campaign) throw new DomainError("conflict", `group buy ${ctx.id} already exists`);
    const next = { ...state, campaign: c.campaign, createdAt: ctx.now };
    return {
      events: [{ type: "created", campaign: c.campaign, by: ctx.meta.by ?? "system", at: ctx.now }],
      reply: campaignView(ctx.id, next, ctx.now),
    };
  },

  join: (state: GroupBuyState, c: Cmd<"join">, ctx: DecideContext): Result => {
    const campaign = requireCampaign(state, ctx.id);
    // Exactly once per order: a retried join (or one re-sent after a failover) finds the seat it took.
    const seated = state.orders.get(c.orderId);
    if (seated !== undefined) {
      const g = state.groups.get(seated)!;
      if (g.members.some((m) => m.orderId === c.orderId))
        return { events: [], reply: { groupBuyId: ctx.id, groupId: seated, deadline: isoTime(g.deadline) } };
      throw refuse("group-closed", `order ${c.orderId} already left group ${seated}`, { groupId: seated });
    }
    if (campaignPhase(campaign, ctx.now) !== "active")
      throw refuse("group-buy-not-active", `group buy ${ctx.id} is not open now`, {
        startsAt: isoTime(campaign.startsAt),
        endsAt: isoTime(campaign.endsAt),
      });
    if (c.qty > campaign.maxQtyPerOrder)
      throw refuse("qty-over-limit", `a group-buy order takes at most ${campaign.maxQtyPerOrder}`, {
        field: "lines",
      });
    if (c.groupId === undefined) {
      // A first buyer opens a new group; it must form before its deadline (a durable timer).
      const groupId = groupIdFor(ctx.id, state.opened + 1);
      const deadline = ctx.now + Math.round(campaign.formHours * HOUR_MS);
      return {
        events: [{ type: "opened", groupId, orderId: c.orderId, userId: c.userId, deadline, at: ctx.now }],
        reply: { groupBuyId: ctx.id, groupId, deadline: isoTime(deadline) },
        timers: { set: [{ name: deadlineTimer(groupId), at: deadline }] },
      };
    }
    const g = state.groups.get(c.groupId);
    if (!g)
      throw refuse("group-not-found", `group buy ${ctx.id} has no group ${c.groupId}`, { field: "groupId" });
    if (g.status !== "open" || ctx.now >= g.deadline)
      throw refuse(
        "group-closed",
        `group ${c.groupId} is ${g.status === "open" ? "past its deadline" : g.status}`,
        {
          groupId: c.groupId,
          groupStatus: g.status,
        },
      );
    if (g.members.some((m) => m.userId === c.userId))
      throw refuse("already-in-group", `user ${c.userId} is in group ${c.groupId} already`, {
        groupId: c.groupId,
      });
    if (g.members.length >= campaign.groupSize)
      throw refuse("group-full", `group ${c.groupId} is full: open a new group`, { groupId: c.groupId });
    return {
      events: [{ type: "joined", groupId: c.groupId, orderId: c.orderId, userId: c.userId, at: ctx.now }],
      reply: { groupBuyId: ctx.id, groupId: c.groupId, deadline: isoTime(g.deadline) },
    };
  },

  paid: (state: GroupBuyState, c: Cmd<"paid">, ctx: DecideContext): Result => {
    const campaign = requireCampaign(state, ctx.id);
    const groupId = state.orders.get(c.orderId);
    const g = groupId === undefined ? undefined : state.groups.get(groupId);
    const member = g?.members.find((m) => m.orderId === c.orderId);
    if (!g || !groupId || !member)
      throw new DomainError("not_found", `order ${c.orderId} holds no seat in group buy ${ctx.id}`);
    const answer = { groupId, status: g.status };
    if (member.paid || g.status !== "open") {
      // A member paying a group that already failed is refunded by the order (it hears `groupFailed`).
      if (g.status === "failed" && !member.paid)
        return {
          events: [],
          reply: answer,
          effects: [failEffect(groupId, c.orderId, "the group did not form in time")],
        };
      return { events: [], reply: answer };
    }
    const events: GroupBuyEvent[] = [{ type: "memberPaid", groupId, orderId: c.orderId, at: ctx.now }];
    const paid = g.members.filter((m) => m.paid).length + 1;
    if (paid < campaign.groupSize) return { events, reply: answer };
    // Every seat paid: the group forms and every member's order proceeds to shipment.
    events.push({ type: "formed", groupId, at: ctx.now });
    return {
      events,
      reply: { groupId, status: "formed" },
      timers: { cancel: [deadlineTimer(groupId)] },
      effects: g.members.map((m) =>
        effect(`formed:${m.orderId}`, orders.groupFormed(m.orderId, { groupId })),
      ),
    };
  },

  leave: (state: GroupBuyState, c: Cmd<"leave">, ctx: DecideContext): Result => {
    requireCampaign(state, ctx.id);
    const groupId = state.orders.get(c.orderId);
    const g = groupId === undefined ? undefined : state.groups.get(groupId);
    const member = g?.members.find((m) => m.orderId === c.orderId);
    // Only an unpaid seat of an open group is given back; anything else has nothing to undo.
    if (!g || !groupId || !member || member.paid || g.status !== "open")
      return { events: [], reply: { orderId: c.orderId, left: false } };
    return {
      events: [
        { type: "left", groupId, orderId: c.orderId, reason: c.reason ?? "order cancelled", at: ctx.now },
      ],
      reply: { orderId: c.orderId, left: true },
    };
  },
};

const failEffect = (groupId: string, orderId: string, reason: string): Effect =>
  effect(`failed:${orderId}`, orders.groupFailed(orderId, { groupId, reason }));

/** The deadline of a group still open: it failed, and every member's order is refunded or cancelled. */
export function onGroupBuyTimer(state: GroupBuyState, timer: { name: string }, ctx: DecideContext): Result {
  const groupId = timer.name.startsWith("deadline:") ? timer.name.slice("deadline:".length) : undefined;
  const g = groupId === undefined ? undefined : state.groups.get(groupId);
  if (!g || !groupId || g.status !== "open") return { events: [], reply: null };
  const reason = `group ${groupId} did not reach ${state.campaign?.groupSize ?? 0} paid members in time`;
  return {
    events: [{ type: "failed", groupId, reason, at: ctx.now }],
    reply: null,
    effects: g.members.map((m) => failEffect(groupId, m.orderId, reason)),
  };
}

/** The orders' answers need nothing more: each order applies `groupFormed` / `groupFailed` once. */
export function onGroupBuyEffect(
  _state: GroupBuyState,
  _result: { key: string; reply: Reply },
  _ctx: DecideContext,
): Result {
  return { events: [], reply: null };
}
