import { z } from "zod";
import { presaleCampaignSchema } from "./commands.ts";

export const presaleEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("created"), campaign: presaleCampaignSchema, by: z.string(), at: z.number() }),
]);
export type PresaleEvent = z.infer<typeof presaleEventSchema>;
