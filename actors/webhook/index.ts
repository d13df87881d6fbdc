import { defineKind } from "../runtime/index.ts";
import {
  applyDeliveryEvent,
  type DeliveryCommand,
  type DeliveryEvent,
  type DeliveryState,
  deliveryCommandSchema,
  deliveryEventSchema,
  deliveryHandlers,
  deliveryStateSchema,
  initialDelivery,
  onDeliveryEffect,
  onDeliveryTimer,
} from "./delivery.ts";

/**
 * One outbound webhook delivery (kind "webhook-delivery", id = `<subscription>:<event digest>`): one event
 * for one subscription. Each attempt is an effect to the node-local `webhook-sender` service (signed POST);
 * a failure retries after an exponential backoff on a durable timer, and after `maxAttempts` the delivery
 * is a dead letter until an operator replays it (decision 0030).
 */
export const webhookDeliveryKind = defineKind<DeliveryState, DeliveryCommand, DeliveryEvent>({
  name: "webhook-delivery",
  commands: deliveryCommandSchema,
  events: deliveryEventSchema,
  state: deliveryStateSchema,
  initialState: initialDelivery,
  apply: applyDeliveryEvent,
  handlers: deliveryHandlers,
  readOnly: ["get"],
  onTimer: onDeliveryTimer,
  onEffect: onDeliveryEffect,
});

export { type DeliveryCommandInput, deliveries } from "./calls.ts";
export {
  attemptResultSchema,
  backoffMs,
  DELIVERY_STATUSES,
  type DeliveryEvent,
  type DeliveryStatus,
  type DeliveryView,
  deliveryView,
  WEBHOOK_SENDER_KIND,
} from "./delivery.ts";
export {
  signatureHeader,
  signWebhook,
  verifyWebhook,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
  webhookDeliveryId,
} from "./signature.ts";
