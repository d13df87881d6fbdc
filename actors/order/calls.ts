import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { orderCommandSchema } from "./commands.ts";

/** A command to an order actor as a caller writes it. */
export type OrderCommandInput = z.input<typeof orderCommandSchema>;

const build = commandBuilder<OrderCommandInput>("order");

/**
 * The order actor's public calls (the order id is the actor id).
 * @example orders.markPaid("O-1", { paymentId: "P-1", channel: "wechat", amount: 1999 })
 */
export const orders = {
  kind: "order" as const,
  markPaid: build("markPaid"),
  /** Handover to logistics (the warehouse actor): ships the order and commits its reservations. */
  ship: build("ship"),
  groupFormed: build("groupFormed"),
  groupFailed: build("groupFailed"),
  attachShipment: build("attachShipment"),
  recordDelivery: build("recordDelivery"),
};
