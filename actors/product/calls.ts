import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { productCommandSchema } from "./listing.ts";

export type ProductCommandInput = z.input<typeof productCommandSchema>;

const build = commandBuilder<ProductCommandInput>("product");

/**
 * The product actor's public calls (the SPU code is the actor id).
 * @example products.publish("SPU-1", { at: Date.parse("2026-12-01T00:00:00Z") })
 */
export const products = {
  kind: "product" as const,
  get: build("get"),
  publish: build("publish"),
  unpublish: build("unpublish"),
  cancelScheduled: build("cancelScheduled"),
};
