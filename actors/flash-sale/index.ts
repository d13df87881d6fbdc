import { defineKind } from "../runtime/index.ts";
import { flashSaleHandlers, onFlashSaleEffect, onFlashSaleTimer } from "./actor.ts";
import { type FlashSaleCommand, flashSaleCommandSchema } from "./commands.ts";
import { type FlashSaleEvent, flashSaleEventSchema } from "./events.ts";
import {
  applyFlashSaleEvent,
  encodeFlashSaleState,
  type FlashSaleState,
  flashSaleStateSchema,
  initialFlashSaleState,
} from "./state.ts";

/**
 * The flash-sale (秒杀) campaign actor (kind "flash-sale", id = campaign id), decision 0023: its price,
 * window and per-user limit, the stock it allocated from the SKU actor (out of sellable until it ends),
 * and every order holding its units — a hot counter like a coupon template: purchases are decided one at
 * a time, so `stock` units sell exactly once. Durable `start`/`end` timers open and close it.
 */
export const flashSaleKind = defineKind<FlashSaleState, FlashSaleCommand, FlashSaleEvent>({
  name: "flash-sale",
  commands: flashSaleCommandSchema,
  events: flashSaleEventSchema,
  state: flashSaleStateSchema,
  encodeState: encodeFlashSaleState,
  initialState: initialFlashSaleState,
  apply: applyFlashSaleEvent,
  handlers: flashSaleHandlers,
  readOnly: ["get", "purchases"],
  onEffect: onFlashSaleEffect,
  onTimer: onFlashSaleTimer,
});

export { type CampaignStatus, campaignStatus, campaignView } from "./actor.ts";
export { type FlashSaleCommandInput, flashSales } from "./calls.ts";
export {
  type AdmissionTally,
  type Campaign,
  campaignSchema,
  type FlashSaleCommand,
  flashSaleCommandSchema,
  MAX_FLASH_PER_USER,
  MAX_FLASH_STOCK,
} from "./commands.ts";
export { type FlashSaleEvent, type FlashSaleRefusal, flashSaleEventSchema, refusalSchema } from "./events.ts";
export type { FlashSaleState } from "./state.ts";
