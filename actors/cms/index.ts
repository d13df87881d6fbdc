import { defineKind } from "../runtime/index.ts";
import { cmsHandlers, onCmsTimer } from "./actor.ts";
import { type CmsCommand, cmsCommandSchema } from "./commands.ts";
import { type CmsEvent, cmsEventSchema } from "./events.ts";
import { applyCmsEvent, type CmsState, cmsStateSchema, initialCmsState } from "./state.ts";

/**
 * The CMS page actor (kind "cms-page", id = the page's slug; decision 0031): every saved version, which
 * one is published, and a scheduled publish on a durable timer. Versions are numbered 1, 2, … in the
 * order they were saved; publish and rollback only move the "published" pointer, so nothing is lost.
 */
export const cmsPageKind = defineKind<CmsState, CmsCommand, CmsEvent>({
  name: "cms-page",
  commands: cmsCommandSchema,
  events: cmsEventSchema,
  state: cmsStateSchema,
  initialState: initialCmsState,
  apply: applyCmsEvent,
  handlers: cmsHandlers,
  onTimer: onCmsTimer,
  readOnly: ["get", "content", "version"],
});

export { contentView, PUBLISH_TIMER, pageView, snapshotOf, UNPUBLISH_TIMER } from "./actor.ts";
export { type CmsCommandInput, cmsPages } from "./calls.ts";
export {
  adSlotSchema,
  bannerSchema,
  type CmsCommand,
  type Component,
  cmsCommandSchema,
  componentSchema,
  contentSlotSchema,
  couponBlockSchema,
  flashSaleBlockSchema,
  imageHotspotsSchema,
  MAX_COMPONENTS,
  MAX_HTML,
  MAX_VERSIONS,
  PAGE_TYPES,
  type Page,
  type PageSnapshot,
  type PlainComponent,
  pageSchema,
  pageSnapshotSchema,
  plainComponentSchema,
  productGridSchema,
  type RecommendationRule,
  recommendationRuleSchema,
  recommendationSlotSchema,
  richTextSchema,
  type Seo,
  seoSchema,
} from "./commands.ts";
export { diffPages, type PageChange } from "./diff.ts";
export { type CmsEvent, cmsEventSchema } from "./events.ts";
export {
  assignVariant,
  bucketOf,
  type ExperimentDefinition,
  type ExperimentRecord,
  type ExperimentStatus,
  experimentDefinitionSchema,
  isLive,
  MAX_VARIANTS,
  readout,
  twoProportionTest,
  twoSidedP,
  type Variant,
  type VariantCounts,
  variantSchema,
  visitorIdSchema,
} from "./experiment.ts";
export {
  PREVIEW_TTL_DEFAULT,
  PREVIEW_TTL_MAX,
  type PreviewCheck,
  type PreviewGrant,
  signPreview,
  verifyPreview,
} from "./preview-token.ts";
export { sanitizeHtml } from "./sanitize.ts";
export {
  type DeliveredComponent,
  RECOMMENDATION_TTL_MS,
  type Recommended,
  resolveSlots,
} from "./slots.ts";
export type { CmsState } from "./state.ts";
export { PAGE_TEMPLATES, templateFor } from "./templates.ts";
