import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { pushCommandSchema } from "./push.ts";

/** A command to a segment-push actor as a caller writes it. */
export type PushCommandInput = z.input<typeof pushCommandSchema>;

const build = commandBuilder<PushCommandInput>("segment-push");

/**
 * The segment-push actor's public calls (the push id is the actor id).
 *
 * @example segmentPushes.create("SP-1", { segment: "vip", filter: { tagsAny: ["spend:high"] }, target: { kind: "coupon", templateId } })
 */
export const segmentPushes = {
  kind: "segment-push" as const,
  get: build("get"),
  create: build("create"),
  progress: build("progress"),
};
