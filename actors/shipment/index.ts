import { defineKind } from "../runtime/index.ts";
import { onShipmentEffect, onShipmentTimer, shipmentHandlers } from "./actor.ts";
import { type ShipmentCommand, shipmentCommandSchema } from "./commands.ts";
import { type ShipmentEvent, shipmentEventSchema } from "./events.ts";
import { applyShipmentEvent, initialShipment, type ShipmentState } from "./state.ts";

/**
 * The shipment actor (kind "shipment", id = shipment id, issue 13 item 4): its waybill (an e-waybill
 * requested from the carrier through the `carrier-gateway` service, or an operator's number), tracking
 * folded from webhooks and polls whatever their order or duplication, the SLA promise on a durable timer,
 * and compensation records for lost, damaged or refused parcels. Delivery completes the order's step.
 */
export const shipmentKind = defineKind<ShipmentState, ShipmentCommand, ShipmentEvent>({
  name: "shipment",
  commands: shipmentCommandSchema,
  events: shipmentEventSchema,
  initialState: initialShipment,
  apply: applyShipmentEvent,
  handlers: shipmentHandlers,
  readOnly: ["get"],
  onTimer: onShipmentTimer,
  onEffect: onShipmentEffect,
});

export {
  CARRIER_GATEWAY_KIND,
  LOGISTICS_ALERTS_KIND,
  nextStatus,
  shipmentIdFor,
  shipmentView,
} from "./actor.ts";
export { type ShipmentCommandInput, shipments } from "./calls.ts";
export {
  DEFAULT_POLL_EVERY_MS,
  MAX_TRACKING_EVENTS,
  type ShipmentCommand,
  shipmentCommandSchema,
  shipmentIdSchema,
  type TrackedEventInput,
  trackedEventSchema,
} from "./commands.ts";
export { SHIPMENT_STATUSES, type ShipmentEvent, type ShipmentStatus, shipmentEventSchema } from "./events.ts";
export type { ShipmentState } from "./state.ts";
