/**
 * Promotions: the pure rule engine (no I/O). Conditions, scope, time (Asia/Shanghai), benefits, stacking,
 * the best combination for a cart, its apportioning to lines in fen, and explanations in zh-CN and en.
 * Storage keeps promotions (`storage/promotions/`); checkout asks here. decision 0021.
 */
export { apportion } from "./apportion.ts";
export {
  benefitOf,
  isPromotionType,
  type PromotionDefinition,
  type PromotionStatus,
  statusAt,
  toPromotion,
} from "./definition.ts";
export {
  type AppliedPromotion,
  type Eligibility,
  eligibility,
  evaluate,
  type Gift,
  inScope,
  type LineOutcome,
  MAX_CANDIDATES,
  MAX_STEPS,
  type PromotionOutcome,
  promotionOrder,
} from "./engine.ts";
export { describeBenefit, explain, yuan } from "./explain.ts";
export {
  type Benefit,
  type Cart,
  type CartLine,
  type Conditions,
  type Explanation,
  PROMOTION_TYPES,
  type Promotion,
  type PromotionType,
  type Schedule,
  type Scope,
  type Stacking,
  type TimeSlot,
} from "./model.ts";
export { activeAt, SHANGHAI_OFFSET_MS, shanghaiClock, slotMinute, slotText } from "./time.ts";
