/** Reviews in Postgres: the store behind the gateway's `ReviewStore` port, and the dashboard's pending count. */
export { PostgresReviewStore, pendingReviewCount } from "./review-store.ts";
