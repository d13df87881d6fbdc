/** Promotions in Postgres (migration 0013): the store behind the gateway's `PromotionStore` port. */
export { MAX_LIVE, PostgresPromotionStore } from "./promotion-store.ts";
