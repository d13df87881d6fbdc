import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { deliveryCommandSchema } from "./delivery.ts";

export type DeliveryCommandInput = z.input<typeof deliveryCommandSchema>;

const build = commandBuilder<DeliveryCommandInput>("webhook-delivery");

/**
 * The webhook delivery actor's public calls.
 * @example deliveries.replay("acme.3f2a…", {})
 */
export const deliveries = {
  kind: "webhook-delivery" as const,
  get: build("get"),
  deliver: build("deliver"),
  replay: build("replay"),
};
