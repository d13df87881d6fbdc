import { defineKind } from "../runtime/index.ts";
import { createMemberHandlers } from "./actor.ts";
import { type MemberCommand, memberCommandSchema } from "./commands.ts";
import { type MemberEvent, memberEventSchema } from "./events.ts";
import { DEFAULT_LEVELS, type MemberLevel, memberLevelsSchema } from "./levels.ts";
import {
  applyMemberEvent,
  encodeMemberState,
  initialMember,
  type MemberState,
  memberStateSchema,
} from "./state.ts";

/**
 * The member actor: one per user id, holding levels, points, purchase-limit counters and order references.
 * The ladder is validated here, once; a bad one throws a ZodError at startup.
 *
 * @example
 * const kind = createMemberKind([
 *   { name: "basic", minGrowth: 0, discountPercent: 0, freeShipping: false },
 *   { name: "vip", minGrowth: 3_000, discountPercent: 10, freeShipping: true },
 * ]);
 */
export function createMemberKind(levels: readonly MemberLevel[] = DEFAULT_LEVELS) {
  const ladder = memberLevelsSchema.parse(levels);
  return defineKind<MemberState, MemberCommand, MemberEvent>({
    name: "member",
    commands: memberCommandSchema,
    events: memberEventSchema,
    state: memberStateSchema,
    encodeState: encodeMemberState,
    initialState: () => initialMember(ladder[0]!.name),
    apply: applyMemberEvent,
    handlers: createMemberHandlers(ladder),
    readOnly: ["get", "checkPurchase"],
  });
}

export const memberKind = createMemberKind();

export { createMemberHandlers } from "./actor.ts";
export { type MemberCommandInput, members } from "./calls.ts";
export {
  amountSchema,
  MAX_AMOUNT,
  MAX_POINTS,
  type MemberCommand,
  memberCommandSchema,
  type PurchaseLimits,
  type PurchaseLine,
  purchaseLimitsSchema,
  purchaseLineSchema,
} from "./commands.ts";
export { type MemberEvent, memberEventSchema } from "./events.ts";
export {
  benefitsOf,
  DEFAULT_LEVELS,
  type LevelBenefits,
  levelFor,
  type MemberLevel,
  memberLevelsSchema,
  nextLevel,
} from "./levels.ts";
export { FEN_PER_POINT, type OrderSummary, type Profile, type Remaining } from "./rules.ts";
export {
  applyMemberEvent,
  initialMember,
  MAX_OPEN_ORDERS,
  MAX_ORDER_REFS,
  type MemberState,
  memberStateSchema,
  type OrderRef,
  type PointsSummary,
  type RefundRecord,
} from "./state.ts";
