import { defineKind } from "../runtime/index.ts";
import { onWarehouseEffect, warehouseHandlers } from "./actor.ts";
import { type WarehouseCommand, warehouseCommandSchema } from "./commands.ts";
import { type WarehouseEvent, warehouseEventSchema } from "./events.ts";
import {
  applyWarehouseEvent,
  encodeWarehouseState,
  initialWarehouse,
  type WarehouseState,
  warehouseStateSchema,
} from "./state.ts";

/**
 * The warehouse actor (kind "warehouse", id = warehouse code): the layout (zones, bins), stock per bin
 * and lot, receipts waiting for putaway, waves with their pick lists, packing, handover and cycle counts.
 * One actor per warehouse is the single writer of its bin and lot stock, so a lot is never promised to
 * two pick steps and every physical movement reaches the SKU actor through the durable outbox (0027).
 */
export const warehouseKind = defineKind<WarehouseState, WarehouseCommand, WarehouseEvent>({
  name: "warehouse",
  commands: warehouseCommandSchema,
  events: warehouseEventSchema,
  state: warehouseStateSchema,
  encodeState: encodeWarehouseState,
  initialState: initialWarehouse,
  apply: applyWarehouseEvent,
  handlers: warehouseHandlers,
  readOnly: ["get", "stock", "totals", "binCount", "wave", "receipt", "summary"],
  onEffect: onWarehouseEffect,
});

export { binLoad, NEAR_CAPACITY, warehouseSummary, waveView } from "./actor.ts";
export { type PutawayReply, type WarehouseCommandInput, warehouses } from "./calls.ts";
export {
  binSchema,
  expirySchema,
  lotSchema,
  MAX_LINES,
  MAX_WAVE_ORDERS,
  RECEIVING,
  receiptLineSchema,
  type WarehouseCommand,
  warehouseCommandSchema,
  ZONES,
  type Zone,
  zoneSchema,
} from "./commands.ts";
export { type WarehouseEvent, warehouseEventSchema } from "./events.ts";
export { AISLE_COST, allocateLots, dockDistance, pickingRule, pickPath, suggestPutaway } from "./layout.ts";
export { applyWarehouseEvent, initialWarehouse, physicalBySku, type WarehouseState } from "./state.ts";
