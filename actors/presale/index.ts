import { z } from "zod";
import { defineKind } from "../runtime/index.ts";
import { applyPresaleEvent, initialPresaleState, type PresaleState, presaleHandlers } from "./actor.ts";
import { type PresaleCommand, presaleCampaignSchema, presaleCommandSchema } from "./commands.ts";
import { type PresaleEvent, presaleEventSchema } from "./events.ts";

/**
 * The presale actor (预售, kind "presale", id = campaign id, decision 0024): the campaign's terms. Each
 * order carries its own deposit, balance and window (durable timers on the order actor).
 */
export const presaleKind = defineKind<PresaleState, PresaleCommand, PresaleEvent>({
  name: "presale",
  commands: presaleCommandSchema,
  events: presaleEventSchema,
  state: z.object({ campaign: presaleCampaignSchema.nullable(), createdAt: z.number().nullable() }),
  initialState: initialPresaleState,
  apply: applyPresaleEvent,
  handlers: presaleHandlers,
  readOnly: ["get"],
});

export { type PresaleState, presaleView } from "./actor.ts";
export { MAX_PRESALE_QTY, type PresaleCampaign, presaleCampaignSchema } from "./commands.ts";
export { type PresaleEvent, presaleEventSchema } from "./events.ts";
export { presaleAmounts, presalePhase } from "./terms.ts";
