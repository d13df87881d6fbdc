import { defineKind } from "../runtime/index.ts";
import { onOrderEffect, onOrderTimer, orderHandlers } from "./actor.ts";
import { type OrderCommand, orderCommandSchema } from "./commands.ts";
import { type OrderEvent, orderEventSchema } from "./events.ts";
import { applyOrderEvent, initialOrder, type OrderState } from "./state.ts";

/** The order actor: the order's state machine and the place-order process manager. */
export const orderKind = defineKind<OrderState, OrderCommand, OrderEvent>({
  name: "order",
  commands: orderCommandSchema,
  events: orderEventSchema,
  initialState: initialOrder,
  apply: applyOrderEvent,
  handlers: orderHandlers,
  readOnly: ["get"],
  onEffect: onOrderEffect,
  onTimer: onOrderTimer,
});

export { orderSummary } from "./actor.ts";
export { refundApproval } from "./approval.ts";
export { type OrderCommandInput, orders } from "./calls.ts";
export {
  type Address,
  addressSchema,
  moneySchema,
  type OrderCommand,
  type OrderLine,
  orderCommandSchema,
} from "./commands.ts";
export { amountsSchema, type OrderEvent, orderEventSchema } from "./events.ts";
export { ORDER_STATUSES, type OrderState, type OrderStatus } from "./state.ts";
export {
  type AllocatedLine,
  mergeGroups,
  type Parcel,
  shipmentParcels,
} from "./views.ts";
