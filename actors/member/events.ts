import { z } from "zod";

const line = z.object({ sku: z.string(), qty: z.number().int().positive() });
const fen = z.number().int().min(0);
const positive = z.number().int().positive();
const count = z.number().int().min(0);
/** The points balance right after the event: reading the events in order answers "why is my balance X". */
const balance = count;

/**
 * Every event the member actor persists; checked by the runtime before each append. Order events say what
 * happened to an order; points and growth events each carry the change and the total after it, and name
 * the order (and refund) that caused it, so the log is the member's statement.
 */
export const memberEventSchema = z.discriminatedUnion("type", [
  /** First event of every member, written with their first write command. */
  z.object({ type: z.literal("memberJoined"), at: z.number().int(), level: z.string() }),
  z.object({
    type: z.literal("orderRecorded"),
    orderId: z.string(),
    lines: z.array(line).min(1),
    amount: fen,
    campaignId: z.string().optional(),
    at: z.number().int(),
  }),
  /** The lines released from the purchase counters. */
  z.object({
    type: z.literal("orderCancelled"),
    orderId: z.string(),
    lines: z.array(line).min(1),
    campaignId: z.string().optional(),
    reason: z.string(),
  }),
  z.object({ type: z.literal("orderCompleted"), orderId: z.string(), amount: fen }),
  /** A receipt of one refund: what it gave back and took back (the points events below do the moving). */
  z.object({
    type: z.literal("orderRefunded"),
    orderId: z.string(),
    refundId: z.string(),
    amount: positive,
    pointsReturned: count,
    pointsReversed: count,
    shortfall: count,
    growthReversed: count,
  }),
  z.object({ type: z.literal("pointsSpent"), orderId: z.string(), points: positive, balance }),
  /** Spent points given back: all of them on cancel, a share on a refund (then `refundId` is set). */
  z.object({
    type: z.literal("pointsRefunded"),
    orderId: z.string(),
    refundId: z.string().optional(),
    points: positive,
    balance,
  }),
  z.object({ type: z.literal("pointsEarned"), orderId: z.string(), points: positive, balance }),
  /**
   * Earned points taken back for a refund. `points` is what was taken; `shortfall` is what could not be
   * because the balance would have gone below zero (already spent), and is forgiven.
   */
  z.object({
    type: z.literal("pointsReversed"),
    orderId: z.string(),
    refundId: z.string(),
    points: count,
    shortfall: count,
    balance,
  }),
  z.object({
    type: z.literal("pointsAdjusted"),
    delta: z.number().int(),
    reason: z.string(),
    by: z.string().optional(),
    balance,
  }),
  z.object({
    type: z.literal("growthChanged"),
    delta: z.number().int(),
    growth: count,
    orderId: z.string(),
    refundId: z.string().optional(),
  }),
  z.object({ type: z.literal("levelChanged"), from: z.string(), to: z.string(), growth: count }),
]);

export type MemberEvent = z.infer<typeof memberEventSchema>;
export type MemberEventLine = z.infer<typeof line>;
