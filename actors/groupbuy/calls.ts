import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { groupBuyCommandSchema } from "./commands.ts";

/** A command to a group-buy actor as a caller writes it. */
export type GroupBuyCommandInput = z.input<typeof groupBuyCommandSchema>;

const build = commandBuilder<GroupBuyCommandInput>("group-buy");

/**
 * The group-buy actor's public calls (the campaign id is the actor id).
 * @example groupBuys.join("GB1", { orderId: "O-1", userId: "U-1", qty: 1 })
 */
export const groupBuys = {
  kind: "group-buy" as const,
  join: build("join"),
  paid: build("paid"),
  leave: build("leave"),
};
