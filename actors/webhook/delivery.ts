import { z } from "zod";
import type { DecideContext, Decision, Reply } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { isoTime } from "../shared/index.ts";

/** Where an effect to send one attempt goes: a service of the node hosting the delivery actor. */
export const WEBHOOK_SENDER_KIND = "webhook-sender";
const TIMER = "retry";

/** The delay before retry `n` (1-based): base · 2^(n−1), capped at an hour. */
export function backoffMs(baseMs: number, failures: number): number {
  return Math.min(3_600_000, baseMs * 2 ** Math.max(0, failures - 1));
}

export const deliveryCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  /** The dispatcher hands over one event for one subscription (a repeat is a no-op). */
  z.object({
    type: z.literal("deliver"),
    subscription: z.string().min(1).max(64),
    eventId: z.string().min(1).max(200),
    eventType: z.string().min(1).max(100),
    /** The exact body to POST (JSON text), signed as is. */
    body: z.string().max(64_000),
    maxAttempts: z.number().int().min(1).max(50),
    backoffBaseMs: z.number().int().min(10).max(3_600_000),
  }),
  /** An operator sends a dead-lettered delivery again: a fresh round of attempts. */
  z.object({ type: z.literal("replay") }),
]);
export type DeliveryCommand = z.infer<typeof deliveryCommandSchema>;

const who = { at: z.number(), by: z.string() };
export const deliveryEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("created"),
    subscription: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    body: z.string(),
    maxAttempts: z.number().int(),
    backoffBaseMs: z.number().int(),
    ...who,
  }),
  /** Attempt number `sent` (counted over every round) is on its way. */
  z.object({ type: z.literal("attemptStarted"), sent: z.number().int(), ...who }),
  z.object({ type: z.literal("delivered"), attempt: z.number().int(), status: z.number().int(), ...who }),
  z.object({
    type: z.literal("attemptFailed"),
    attempt: z.number().int(),
    status: z.number().int().nullable(),
    error: z.string(),
    /** When the next attempt is due; null when this was the last one (dead letter). */
    nextAttemptAt: z.number().nullable(),
    ...who,
  }),
  z.object({ type: z.literal("deadLettered"), attempts: z.number().int(), ...who }),
  z.object({ type: z.literal("replayed"), ...who }),
]);
export type DeliveryEvent = z.infer<typeof deliveryEventSchema>;

export const DELIVERY_STATUSES = ["pending", "delivered", "dead"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const deliveryStateSchema = z.object({
  created: z.boolean(),
  subscription: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  body: z.string(),
  maxAttempts: z.number().int(),
  backoffBaseMs: z.number().int(),
  status: z.enum(DELIVERY_STATUSES),
  /** Attempts made in this round (a replay starts a new round). */
  attempts: z.number().int(),
  /** Attempts ever made (effect keys stay unique across rounds). */
  sent: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.number().nullable(),
  createdAt: z.number(),
  deliveredAt: z.number().nullable(),
});
export type DeliveryState = z.infer<typeof deliveryStateSchema>;

export const initialDelivery = (): DeliveryState => ({
  created: false,
  subscription: "",
  eventId: "",
  eventType: "",
  body: "",
  maxAttempts: 1,
  backoffBaseMs: 1_000,
  status: "pending",
  attempts: 0,
  sent: 0,
  lastStatus: null,
  lastError: null,
  nextAttemptAt: null,
  createdAt: 0,
  deliveredAt: null,
});

export function applyDeliveryEvent(s: DeliveryState, e: DeliveryEvent): DeliveryState {
  switch (e.type) {
    case "created":
      return {
        ...s,
        created: true,
        subscription: e.subscription,
        eventId: e.eventId,
        eventType: e.eventType,
        body: e.body,
        maxAttempts: e.maxAttempts,
        backoffBaseMs: e.backoffBaseMs,
        createdAt: e.at,
      };
    case "attemptStarted":
      return { ...s, sent: e.sent, nextAttemptAt: null };
    case "delivered":
      return {
        ...s,
        status: "delivered",
        attempts: e.attempt,
        lastStatus: e.status,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: e.at,
      };
    case "attemptFailed":
      return {
        ...s,
        attempts: e.attempt,
        lastStatus: e.status,
        lastError: e.error,
        nextAttemptAt: e.nextAttemptAt,
      };
    case "deadLettered":
      return { ...s, status: "dead", nextAttemptAt: null };
    case "replayed":
      return { ...s, status: "pending", attempts: 0, nextAttemptAt: null, lastError: null, lastStatus: null };
  }
}

/** The delivery as the API shows it (the body is not repeated). */
export function deliveryView(id: string, s: DeliveryState) {
  return {
    id,
    subscription: s.subscription,
    eventId: s.eventId,
    eventType: s.eventType,
    status: s.status,
    attempts: s.attempts,
    maxAttempts: s.maxAttempts,
    lastStatus: s.lastStatus,
    lastError: s.lastError,
    nextAttemptAt: s.nextAttemptAt !== null ? isoTime(s.nextAttemptAt) : null,
    deliveredAt: s.deliveredAt !== null ? isoTime(s.deliveredAt) : null,
  };
}
export type DeliveryView = ReturnType<typeof deliveryView>;

type Result = Decision<DeliveryEvent>;

/** The effect sending attempt number `sent` of the current round (keys never repeat across rounds). */
function send(s: DeliveryState, id: string): NonNullable<Result["effects"]>[number] {
  return {
    key: `send:${s.sent}`,
    to: { kind: WEBHOOK_SENDER_KIND, id },
    cmd: {
      type: "send",
      subscription: s.subscription,
      eventId: s.eventId,
      eventType: s.eventType,
      body: s.body,
      attempt: s.attempts + 1,
    },
  };
}

/** `before` (if any), then the next attempt: its event and its effect. */
function startAttempt(s: DeliveryState, before: DeliveryEvent[], ctx: DecideContext, by: string): Result {
  const prior = before.reduce(applyDeliveryEvent, s);
  const started: DeliveryEvent = { type: "attemptStarted", sent: prior.sent + 1, at: ctx.now, by };
  const next = applyDeliveryEvent(prior, started);
  return { events: [...before, started], reply: deliveryView(ctx.id, next), effects: [send(next, ctx.id)] };
}

export const deliveryHandlers = {
  get: (s: DeliveryState, _c: Extract<DeliveryCommand, { type: "get" }>, ctx: DecideContext): Result => {
    if (!s.created) throw new DomainError("not_found", `no delivery ${ctx.id}`);
    return { events: [], reply: deliveryView(ctx.id, s) };
  },
  deliver: (
    s: DeliveryState,
    c: Extract<DeliveryCommand, { type: "deliver" }>,
    ctx: DecideContext,
  ): Result => {
    if (s.created) return { events: [], reply: deliveryView(ctx.id, s) };
    const { type: _, ...fields } = c;
    const by = ctx.meta.by ?? "system";
    return startAttempt(s, [{ type: "created", ...fields, at: ctx.now, by }], ctx, by);
  },
  replay: (
    s: DeliveryState,
    _c: Extract<DeliveryCommand, { type: "replay" }>,
    ctx: DecideContext,
  ): Result => {
    if (!s.created) throw new DomainError("not_found", `no delivery ${ctx.id}`);
    if (s.status !== "dead")
      throw new DomainError("conflict", `delivery ${ctx.id} is ${s.status}; only dead letters are replayed`, {
        status: s.status,
      });
    const by = ctx.meta.by ?? "system";
    return startAttempt(s, [{ type: "replayed", at: ctx.now, by }], ctx, by);
  },
};

/** What the sender answers for one attempt. */
export const attemptResultSchema = z.object({
  delivered: z.boolean(),
  status: z.number().int().nullable(),
  error: z.string(),
});

/** An attempt's outcome: delivered, or a failure that retries after a backoff (durable timer) or dead-letters. */
export function onDeliveryEffect(
  s: DeliveryState,
  result: { key: string; reply: Reply },
  ctx: DecideContext,
): Result {
  if (s.status !== "pending" || result.key !== `send:${s.sent}`) return { events: [], reply: null };
  const attempt = s.attempts + 1;
  const parsed = attemptResultSchema.safeParse(result.reply.ok ? result.reply.value : undefined);
  const by = "system:webhook-sender";
  if (parsed.success && parsed.data.delivered)
    return {
      events: [{ type: "delivered", attempt, status: parsed.data.status ?? 200, at: ctx.now, by }],
      reply: null,
    };
  const error = parsed.success
    ? parsed.data.error
    : result.reply.ok
      ? "the sender answered something that is not an attempt result"
      : `${result.reply.error.kind}: ${result.reply.error.message}`;
  const status = parsed.success ? parsed.data.status : null;
  if (attempt >= s.maxAttempts)
    return {
      events: [
        {
          type: "attemptFailed",
          attempt,
          status,
          error: error.slice(0, 500),
          nextAttemptAt: null,
          at: ctx.now,
          by,
        },
        { type: "deadLettered", attempts: attempt, at: ctx.now, by },
      ],
      reply: null,
    };
  const nextAttemptAt = ctx.now + backoffMs(s.backoffBaseMs, attempt);
  return {
    events: [
      { type: "attemptFailed", attempt, status, error: error.slice(0, 500), nextAttemptAt, at: ctx.now, by },
    ],
    reply: null,
    timers: { set: [{ name: TIMER, at: nextAttemptAt, data: { sent: s.sent } }] },
  };
}

/** The backoff elapsed (a durable timer: it fires after a restart too): the next attempt. */
export function onDeliveryTimer(
  s: DeliveryState,
  timer: { name: string; data: unknown },
  ctx: DecideContext,
): Result {
  if (timer.name !== TIMER || s.status !== "pending" || s.nextAttemptAt === null)
    return { events: [], reply: null };
  return { ...startAttempt(s, [], ctx, "system:timer"), reply: null };
}
