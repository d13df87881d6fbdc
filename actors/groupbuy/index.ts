import { defineKind } from "../runtime/index.ts";
import { groupBuyHandlers, onGroupBuyEffect, onGroupBuyTimer } from "./actor.ts";
import { type GroupBuyCommand, groupBuyCommandSchema } from "./commands.ts";
import { type GroupBuyEvent, groupBuyEventSchema } from "./events.ts";
import {
  applyGroupBuyEvent,
  encodeGroupBuyState,
  type GroupBuyState,
  groupBuyStateSchema,
  initialGroupBuyState,
} from "./state.ts";

/**
 * The group-buy actor (拼团, kind "group-buy", id = campaign id, decision 0024): the campaign's terms and
 * every group of it. Seats are decided one at a time (a full group refuses the next join, a buyer sits
 * once per group), a durable timer per group fails it at its deadline, and formation or failure is sent
 * to every member's order as an effect (exactly once per order).
 */
export const groupBuyKind = defineKind<GroupBuyState, GroupBuyCommand, GroupBuyEvent>({
  name: "group-buy",
  commands: groupBuyCommandSchema,
  events: groupBuyEventSchema,
  state: groupBuyStateSchema,
  encodeState: encodeGroupBuyState,
  initialState: initialGroupBuyState,
  apply: applyGroupBuyEvent,
  handlers: groupBuyHandlers,
  readOnly: ["get", "group"],
  onTimer: onGroupBuyTimer,
  onEffect: onGroupBuyEffect,
});

export {
  campaignPhase,
  campaignView,
  type GroupBuyRefusal,
  groupBuyOfGroup,
  groupIdFor,
  groupView,
} from "./actor.ts";
export { type GroupBuyCommandInput, groupBuys } from "./calls.ts";
export {
  type GroupBuyCampaign,
  type GroupBuyCommand,
  groupBuyCampaignSchema,
  groupBuyCommandSchema,
  HOUR_MS,
  MAX_FORM_HOURS,
  MAX_GROUP_SIZE,
  MAX_QTY_PER_ORDER,
} from "./commands.ts";
export { type GroupBuyEvent, groupBuyEventSchema } from "./events.ts";
export type { Group, GroupBuyState, GroupMember } from "./state.ts";
