import { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { inventoryCommandSchema } from "./commands.ts";

/** A command to a SKU actor as a caller writes it (fields with defaults may be left out). */
export type InventoryCommandInput = z.input<typeof inventoryCommandSchema>;

const build = commandBuilder<InventoryCommandInput>("sku");

/** The part of a successful `reserve` answer other actors rely on: where the units are held. */
const reservationReplySchema = z.object({
  lines: z.array(z.object({ warehouse: z.string(), qty: z.number().int().positive() })),
});

/** Where a reservation's units are held, per warehouse. */
export type ReservationReply = z.infer<typeof reservationReplySchema>;

/**
 * The SKU actor's public calls: typed command builders (the SKU id is the actor id) and parsers for the
 * replies other actors act on.
 *
 * @example
 * const call = inventory.reserve("SKU-1", { orderId: "O-1", qty: 2 }); // { to: { kind: "sku", id }, cmd }
 * const { lines } = inventory.reservationReply(reply.value);
 */
export const inventory = {
  kind: "sku" as const,
  reserve: build("reserve"),
  release: build("release"),
  commit: build("commit"),
  receive: build("receive"),
  /** A counted difference in one bin (the warehouse actor): physical stock moves by `delta`. */
  adjustBy: build("adjustBy"),
  announceInbound: build("announceInbound"),
  settleInbound: build("settleInbound"),
  allocate: build("allocate"),
  deallocate: build("deallocate"),
  reservationReply: (value: unknown): ReservationReply => reservationReplySchema.parse(value),
  /** Where a campaign's allocation is held, per warehouse (the `allocate` answer). */
  allocationReply: (value: unknown): ReservationReply => reservationReplySchema.parse(value),
};
