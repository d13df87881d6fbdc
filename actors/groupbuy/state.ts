import { z } from "zod";
import { mapEntries, mapSchema } from "../shared/index.ts";
import { type GroupBuyCampaign, groupBuyCampaignSchema } from "./commands.ts";
import type { GroupBuyEvent } from "./events.ts";

export interface GroupMember {
  orderId: string;
  userId: string;
  joinedAt: number;
  paid: boolean;
}

/** One group (团): its seats in join order (the first is the leader, 团长), open until formed or failed. */
export interface Group {
  openedAt: number;
  deadline: number;
  status: "open" | "formed" | "failed";
  closedAt: number | null;
  members: GroupMember[];
}

/**
 * The group-buy actor's state (kind "group-buy", id = campaign id): the campaign and every group of it.
 * Keyed by outside ids, so `Map`s (an order id `constructor` is an order).
 */
export interface GroupBuyState {
  campaign: GroupBuyCampaign | null;
  createdAt: number | null;
  /** Groups opened so far (numbers the next group id). */
  opened: number;
  formed: number;
  failed: number;
  groups: Map<string, Group>;
  /** Every order that ever held a seat → its group (a retried join finds its seat). */
  orders: Map<string, string>;
}

const memberSchema = z.object({
  orderId: z.string(),
  userId: z.string(),
  joinedAt: z.number(),
  paid: z.boolean(),
});
const groupSchema = z.object({
  openedAt: z.number(),
  deadline: z.number(),
  status: z.enum(["open", "formed", "failed"]),
  closedAt: z.number().nullable(),
  members: z.array(memberSchema),
});
const count = z.number().int().min(0);

export const groupBuyStateSchema: z.ZodType<GroupBuyState> = z.object({
  campaign: groupBuyCampaignSchema.nullable(),
  createdAt: z.number().nullable(),
  opened: count,
  formed: count,
  failed: count,
  groups: mapSchema(groupSchema),
  orders: mapSchema(z.string()),
});

export function encodeGroupBuyState(state: GroupBuyState): unknown {
  return { ...state, groups: mapEntries(state.groups), orders: mapEntries(state.orders) };
}

export function initialGroupBuyState(): GroupBuyState {
  return {
    campaign: null,
    createdAt: null,
    opened: 0,
    formed: 0,
    failed: 0,
    groups: new Map(),
    orders: new Map(),
  };
}

/** Applies one event, in place (see `ActorKind.apply`). */
export function applyGroupBuyEvent(state: GroupBuyState, event: GroupBuyEvent): GroupBuyState {
  const group = "groupId" in event ? state.groups.get(event.groupId) : undefined;
  switch (event.type) {
    case "created":
      state.campaign = event.campaign;
      state.createdAt = event.at;
      break;
    case "opened":
      state.opened += 1;
      state.groups.set(event.groupId, {
        openedAt: event.at,
        deadline: event.deadline,
        status: "open",
        closedAt: null,
        members: [{ orderId: event.orderId, userId: event.userId, joinedAt: event.at, paid: false }],
      });
      state.orders.set(event.orderId, event.groupId);
      break;
    case "joined":
      group?.members.push({ orderId: event.orderId, userId: event.userId, joinedAt: event.at, paid: false });
      state.orders.set(event.orderId, event.groupId);
      break;
    case "memberPaid": {
      const member = group?.members.find((m) => m.orderId === event.orderId);
      if (member) member.paid = true;
      break;
    }
    case "left":
      if (group) group.members = group.members.filter((m) => m.orderId !== event.orderId);
      break;
    case "formed":
      if (group) Object.assign(group, { status: "formed", closedAt: event.at });
      state.formed += 1;
      break;
    case "failed":
      if (group) Object.assign(group, { status: "failed", closedAt: event.at });
      state.failed += 1;
      break;
  }
  return state;
}
