import { z } from "zod";
import { groupBuyCampaignSchema } from "./commands.ts";

const at = { at: z.number() };

/** Every fact of a group-buy campaign and its groups; checked by the runtime before each append. */
export const groupBuyEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("created"), campaign: groupBuyCampaignSchema, by: z.string(), ...at }),
  /** A first buyer's order opened a group; it must form by `deadline`. */
  z.object({
    type: z.literal("opened"),
    groupId: z.string(),
    orderId: z.string(),
    userId: z.string(),
    deadline: z.number(),
    ...at,
  }),
  z.object({
    type: z.literal("joined"),
    groupId: z.string(),
    orderId: z.string(),
    userId: z.string(),
    ...at,
  }),
  z.object({ type: z.literal("memberPaid"), groupId: z.string(), orderId: z.string(), ...at }),
  z.object({ type: z.literal("left"), groupId: z.string(), orderId: z.string(), reason: z.string(), ...at }),
  z.object({ type: z.literal("formed"), groupId: z.string(), ...at }),
  z.object({ type: z.literal("failed"), groupId: z.string(), reason: z.string(), ...at }),
]);
export type GroupBuyEvent = z.infer<typeof groupBuyEventSchema>;
