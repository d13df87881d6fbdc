/** Member tags, segments and push deliveries (decision 0025): queries, the recompute and the level projection. */
export { FirstOrderQueries } from "./first-orders.ts";
export { memberLevelProjection } from "./member-projection.ts";
export { type RecomputeSummary, recomputeMemberTags } from "./recompute.ts";
export {
  type MemberFigures,
  type MemberTag,
  PostgresSegmentStore,
  type SegmentRecord,
} from "./segment-store.ts";
