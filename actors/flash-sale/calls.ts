import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { flashSaleCommandSchema } from "./commands.ts";

/** A command to a flash-sale actor as a caller writes it. */
export type FlashSaleCommandInput = z.input<typeof flashSaleCommandSchema>;

const build = commandBuilder<FlashSaleCommandInput>("flash-sale");

/**
 * The flash-sale actor's public calls (the campaign id is the actor id).
 *
 * @example flashSales.reserve("FS-1", { orderId: "O-1", userId: "u-1", qty: 1 })
 */
export const flashSales = {
  kind: "flash-sale" as const,
  reserve: build("reserve"),
  release: build("release"),
  end: build("end"),
  tally: build("tally"),
};
