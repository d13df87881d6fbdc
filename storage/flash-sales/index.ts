/** Flash sales' read model: the projection of flash-sale events and the queries over it (decision 0023). */
export { flashSaleProjection } from "./flash-sale-projection.ts";
export {
  type FlashSaleFilter,
  FlashSaleQueries,
  type FlashSaleRow,
  flashSaleProgress,
} from "./flash-sale-queries.ts";
