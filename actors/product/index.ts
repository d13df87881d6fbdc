import { defineKind } from "../runtime/index.ts";
import {
  applyProductEvent,
  initialProduct,
  onProductTimer,
  type ProductCommand,
  type ProductEvent,
  type ProductState,
  productCommandSchema,
  productEventSchema,
  productHandlers,
  productStateSchema,
} from "./listing.ts";

/**
 * The product actor (kind "product", id = SPU code): owns the listing state — draft / on_sale / off_sale
 * and one scheduled change — on the runtime's durable timers, so a scheduled change fires once across
 * restarts. The product's content (name, SKUs, specs) is reference data in Postgres, not here.
 */
export const productKind = defineKind<ProductState, ProductCommand, ProductEvent>({
  name: "product",
  commands: productCommandSchema,
  events: productEventSchema,
  state: productStateSchema,
  initialState: initialProduct,
  apply: applyProductEvent,
  handlers: productHandlers,
  readOnly: ["get"],
  onTimer: onProductTimer,
});

export { type ProductCommandInput, products } from "./calls.ts";
export {
  LISTING_STATUSES,
  type ListingAction,
  type ListingStatus,
  type ListingView,
  listingView,
  type ProductCommand,
  type ProductEvent,
  type ProductState,
  productCommandSchema,
  productEventSchema,
} from "./listing.ts";
export { checkSkuSpecs, type SpecProblem, type SpecTemplate, specTemplateSchema } from "./specs.ts";
