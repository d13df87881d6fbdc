import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { shipmentCommandSchema } from "./commands.ts";

/** A command to a shipment actor as a caller writes it. */
export type ShipmentCommandInput = z.input<typeof shipmentCommandSchema>;

const build = commandBuilder<ShipmentCommandInput>("shipment");

/**
 * The shipment actor's public calls (the shipment id is the actor id; `shipmentIdFor(orderId, n)` names
 * an order's n-th shipment). The warehouse's handover opens one with `create`.
 *
 * @example shipments.create(shipmentIdFor("O-1", 1), { orderId: "O-1", carrier: "express", lines: [{ sku: "A", qty: 1 }] })
 */
export const shipments = {
  kind: "shipment" as const,
  create: build("create"),
  track: build("track"),
};
