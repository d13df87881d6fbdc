/** The payment module's public face: the payment actor, its commands and events, and the channels. */

export { type PaymentCommandInput, payments } from "./calls.ts";
export {
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
  paymentCommandSchema,
  paymentEventSchema,
  paymentKind,
} from "./kind.ts";
