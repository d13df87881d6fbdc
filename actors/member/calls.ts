import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { memberCommandSchema } from "./commands.ts";

/** A command to a member actor as a caller writes it. */
export type MemberCommandInput = z.input<typeof memberCommandSchema>;

const build = commandBuilder<MemberCommandInput>("member");

/**
 * The member actor's public calls (the user id is the actor id).
 * @example members.recordOrder("U-1", { orderId: "O-1", lines: [{ sku: "SKU-1", qty: 1 }], amount: 1999 })
 */
export const members = {
  kind: "member" as const,
  recordOrder: build("recordOrder"),
  cancelOrder: build("cancelOrder"),
  completeOrder: build("completeOrder"),
  refundOrder: build("refundOrder"),
};
