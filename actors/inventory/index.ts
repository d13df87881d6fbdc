import { defineKind } from "../runtime/index.ts";
import { inventoryHandlers } from "./actor.ts";
import { type InventoryCommand, inventoryCommandSchema } from "./commands.ts";
import { type InventoryEvent, inventoryEventSchema } from "./events.ts";
import {
  applyInventoryEvent,
  encodeInventoryState,
  type InventoryState,
  initialInventory,
  inventoryStateSchema,
} from "./state.ts";

/** The SKU actor: one per SKU, holding its stock in every warehouse. */
export const skuKind = defineKind<InventoryState, InventoryCommand, InventoryEvent>({
  name: "sku",
  commands: inventoryCommandSchema,
  events: inventoryEventSchema,
  state: inventoryStateSchema,
  encodeState: encodeInventoryState,
  initialState: initialInventory,
  apply: applyInventoryEvent,
  handlers: inventoryHandlers,
  readOnly: ["get"],
});

export { stockAdjustment } from "./approval.ts";
export { type InventoryCommandInput, inventory, type ReservationReply } from "./calls.ts";
export {
  countSchema,
  type InventoryCommand,
  inventoryCommandSchema,
  quantitySchema,
} from "./commands.ts";
export { type InventoryEvent, inventoryEventSchema, type ReservationLine } from "./events.ts";
export { type MovementKind, type StockMovement, stockMovement } from "./movements.ts";
export { type InventoryState, type StockView, sellable, stockView, type WarehouseStock } from "./state.ts";
