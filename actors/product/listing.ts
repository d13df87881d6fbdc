import { z } from "zod";
import type { DecideContext, Decision } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { isoTime } from "../shared/index.ts";

/** draft → on_sale ⇄ off_sale. A new product is a draft; only an on-sale product's SKUs can be ordered. */
export const LISTING_STATUSES = ["draft", "on_sale", "off_sale"] as const;
export type ListingStatus = (typeof LISTING_STATUSES)[number];
export type ListingAction = "publish" | "unpublish";

/** Epoch ms, bounded to what a back office means by a date (the gateway parses ISO 8601 into this). */
const instant = z.number().int().min(0).max(253_402_300_799_999);

export const productCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  /** Put on sale now, or at `at` (epoch ms; at or before now means now). */
  z.object({ type: z.literal("publish"), at: instant.optional() }),
  /** Take off sale now, or at `at`. */
  z.object({ type: z.literal("unpublish"), at: instant.optional() }),
  /** Drop the scheduled change, if any (nothing else changes). */
  z.object({ type: z.literal("cancelScheduled") }),
]);
export type ProductCommand = z.infer<typeof productCommandSchema>;

const status = z.enum(LISTING_STATUSES);
const action = z.enum(["publish", "unpublish"]);
const who = { at: z.number(), by: z.string() };

/** Every fact of a product's listing; `products.status` / `scheduled` and the history are projected from these. */
export const productEventSchema = z.discriminatedUnion("type", [
  /** The status changed; `scheduledFor` when a scheduled change came due (by = 'system:timer'). */
  z.object({
    type: z.literal("listed"),
    from: status,
    to: status,
    scheduledFor: z.number().optional(),
    ...who,
  }),
  /** A change was scheduled (replacing any earlier one: one scheduled change at a time). */
  z.object({ type: z.literal("scheduled"), action, due: z.number(), ...who }),
  /** A scheduled change was dropped: done now instead, moot when it came due, or cancelled by an operator. */
  z.object({
    type: z.literal("scheduleDropped"),
    action,
    due: z.number(),
    reason: z.enum(["done-now", "moot", "cancelled"]),
    ...who,
  }),
]);
export type ProductEvent = z.infer<typeof productEventSchema>;

export interface ProductState {
  status: ListingStatus;
  scheduled: { action: ListingAction; due: number; by: string } | null;
  /** When the status last changed (epoch ms), null for a draft never listed. */
  changedAt: number | null;
}

export const productStateSchema = z.object({
  status,
  scheduled: z.object({ action, due: z.number(), by: z.string() }).nullable(),
  changedAt: z.number().nullable(),
});

export const initialProduct = (): ProductState => ({ status: "draft", scheduled: null, changedAt: null });

export function applyProductEvent(state: ProductState, e: ProductEvent): ProductState {
  switch (e.type) {
    case "listed":
      return {
        status: e.to,
        scheduled: e.scheduledFor !== undefined ? null : state.scheduled,
        changedAt: e.at,
      };
    case "scheduled":
      return { ...state, scheduled: { action: e.action, due: e.due, by: e.by } };
    case "scheduleDropped":
      return { ...state, scheduled: null };
  }
}

/** The listing as every reply and `GET /v1/products/{spu}` shows it. */
export function listingView(spuCode: string, state: ProductState) {
  return {
    spuCode,
    status: state.status,
    scheduled: state.scheduled ? { action: state.scheduled.action, at: isoTime(state.scheduled.due) } : null,
  };
}
export type ListingView = ReturnType<typeof listingView>;

const TIMER = "listing";
const TARGET: Record<ListingAction, ListingStatus> = { publish: "on_sale", unpublish: "off_sale" };
type Result = Decision<ProductEvent>;

/** Applies the events to a copy so the reply shows the state they lead to. */
function replied(ctx: DecideContext, state: ProductState, events: ProductEvent[]) {
  return listingView(ctx.id, events.reduce(applyProductEvent, { ...state }));
}

function change(state: ProductState, act: ListingAction, at: number | undefined, ctx: DecideContext): Result {
  const by = ctx.meta.by ?? "system";
  if (at !== undefined && at > ctx.now) {
    const events: ProductEvent[] = [{ type: "scheduled", action: act, due: at, at: ctx.now, by }];
    return { events, reply: replied(ctx, state, events), timers: { set: [{ name: TIMER, at }] } };
  }
  if (act === "unpublish" && state.status === "draft")
    throw new DomainError("conflict", "a draft is not on sale; publish it first", { status: state.status });
  const events: ProductEvent[] = [];
  const to = TARGET[act];
  if (state.status !== to) events.push({ type: "listed", from: state.status, to, at: ctx.now, by });
  // Done now: a pending schedule of the same action has nothing left to do (one of the other stays).
  const dropped = state.scheduled?.action === act;
  if (dropped && state.scheduled)
    events.push({
      type: "scheduleDropped",
      action: act,
      due: state.scheduled.due,
      reason: "done-now",
      at: ctx.now,
      by,
    });
  return {
    events,
    reply: replied(ctx, state, events),
    ...(dropped ? { timers: { cancel: [TIMER] } } : {}),
  };
}

export const productHandlers = {
  get: (state: ProductState, _c: Extract<ProductCommand, { type: "get" }>, ctx: DecideContext): Result => ({
    events: [],
    reply: listingView(ctx.id, state),
  }),
  publish: (state: ProductState, c: Extract<ProductCommand, { type: "publish" }>, ctx: DecideContext) =>
    change(state, "publish", c.at, ctx),
  unpublish: (state: ProductState, c: Extract<ProductCommand, { type: "unpublish" }>, ctx: DecideContext) =>
    change(state, "unpublish", c.at, ctx),
  cancelScheduled: (
    state: ProductState,
    _c: Extract<ProductCommand, { type: "cancelScheduled" }>,
    ctx: DecideContext,
  ): Result => {
    if (!state.scheduled) return { events: [], reply: listingView(ctx.id, state) };
    const { action: act, due } = state.scheduled;
    const events: ProductEvent[] = [
      {
        type: "scheduleDropped",
        action: act,
        due,
        reason: "cancelled",
        at: ctx.now,
        by: ctx.meta.by ?? "system",
      },
    ];
    return { events, reply: replied(ctx, state, events), timers: { cancel: [TIMER] } };
  },
};

/** The scheduled change came due: applied once (the runtime's durable timers fire once, across restarts). */
export function onProductTimer(state: ProductState, timer: { name: string }, ctx: DecideContext): Result {
  const due = state.scheduled;
  if (timer.name !== TIMER || !due) return { events: [], reply: null };
  const to = TARGET[due.action];
  const by = "system:timer";
  const moot = state.status === to || (due.action === "unpublish" && state.status === "draft");
  const event: ProductEvent = moot
    ? { type: "scheduleDropped", action: due.action, due: due.due, reason: "moot", at: ctx.now, by }
    : { type: "listed", from: state.status, to, scheduledFor: due.due, at: ctx.now, by };
  return { events: [event], reply: null };
}
