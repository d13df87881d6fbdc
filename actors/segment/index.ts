import { defineKind } from "../runtime/index.ts";
import {
  applyPushEvent,
  encodePushState,
  initialPush,
  onPushEffect,
  type PushCommand,
  type PushEvent,
  type PushState,
  pushCommandSchema,
  pushEventSchema,
  pushHandlers,
  pushStateSchema,
} from "./push.ts";

/**
 * A push to a segment (kind "segment-push", id = push id): its frozen filter, what it sends (one coupon of
 * a template, or a message) and its progress (targeted, delivered, failed, why). Creating it starts an
 * effect that a service of the owning node runs (long work, resumed from the cursor after a crash or a
 * handover; decision 0025); the runner reports each step with `progress` and its end through the effect.
 */
export const segmentPushKind = defineKind<PushState, PushCommand, PushEvent>({
  name: "segment-push",
  commands: pushCommandSchema,
  events: pushEventSchema,
  state: pushStateSchema,
  encodeState: encodePushState,
  initialState: initialPush,
  apply: applyPushEvent,
  handlers: pushHandlers,
  readOnly: ["get"],
  onEffect: onPushEffect,
});

export { type PushCommandInput, segmentPushes } from "./calls.ts";
export { type SegmentFilter, segmentFilterSchema } from "./filter.ts";
export {
  PUSH_PAGE_SIZE,
  type PushCommand,
  type PushEvent,
  type PushTarget,
  type PushView,
  pushRunResultSchema,
  pushTargetSchema,
  SEGMENT_PUSH_RUNNER_KIND,
} from "./push.ts";
export { BEHAVIOUR_RULES, type BehaviourProfile, behaviourTags, MAX_MANUAL_TAGS, tagSchema } from "./tags.ts";
