import { z } from "zod";
import { orders } from "../order/index.ts";
import type { Reply } from "../runtime/index.ts";
import { type DecideContext, type Decision, DomainError, defineKind } from "../runtime/index.ts";
import { idSchema as codeSchema, moneySchema, reportedTimeSchema, text } from "../shared/index.ts";

/**
 * The payment actor: one per payment attempt of an order. It accepts a verified channel callback once,
 * checks the amount, tells the order it was paid (an effect), and executes refunds up to what was paid.
 * Signature verification happens at the edge (the channel adapters); this actor sees verified facts only.
 */
export const paymentCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  z.object({
    type: z.literal("create"),
    orderId: codeSchema,
    userId: codeSchema,
    amount: moneySchema.refine((n) => n > 0, "must be positive"),
    channel: z.enum(["wechat", "alipay", "unionpay"]),
  }),
  z.object({
    type: z.literal("confirm"),
    channelTxnId: text({ max: 64, trim: false }),
    amount: moneySchema,
    status: z.enum(["paid", "failed"]),
    paidAt: reportedTimeSchema,
  }),
  z.object({
    type: z.literal("refund"),
    refundId: text({ max: 80, trim: false }),
    amount: moneySchema.refine((n) => n > 0),
  }),
]);
export type PaymentCommand = z.infer<typeof paymentCommandSchema>;

const at = { at: z.number(), by: z.string() };
export const paymentEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("created"),
    orderId: z.string(),
    userId: z.string(),
    amount: z.number().int(),
    channel: z.string(),
    ...at,
  }),
  z.object({
    type: z.literal("captured"),
    channelTxnId: z.string(),
    amount: z.number().int(),
    paidAt: z.string(),
    ...at,
  }),
  z.object({ type: z.literal("failed"), reason: z.string(), ...at }),
  z.object({
    type: z.literal("callbackRejected"),
    reason: z.string(),
    amount: z.number().int(),
    channelTxnId: z.string(),
    ...at,
  }),
  z.object({ type: z.literal("orderRefusedPayment"), reason: z.string(), ...at }),
  z.object({
    type: z.literal("refunded"),
    refundId: z.string(),
    amount: z.number().int(),
    refundTxnId: z.string(),
    ...at,
  }),
]);
export type PaymentEvent = z.infer<typeof paymentEventSchema>;

export interface PaymentState {
  status: "new" | "created" | "paid" | "failed" | "refunded" | "partially_refunded";
  orderId: string;
  userId: string;
  amount: number;
  channel: string;
  channelTxnId: string | null;
  refunded: number;
  refunds: Array<{ refundId: string; amount: number; refundTxnId: string }>;
  rejectedCallbacks: number;
}

const initial = (): PaymentState => ({
  status: "new",
  orderId: "",
  userId: "",
  amount: 0,
  channel: "",
  channelTxnId: null,
  refunded: 0,
  refunds: [],
  rejectedCallbacks: 0,
});

function apply(s: PaymentState, e: PaymentEvent): PaymentState {
  switch (e.type) {
    case "created":
      return {
        ...s,
        status: "created",
        orderId: e.orderId,
        userId: e.userId,
        amount: e.amount,
        channel: e.channel,
      };
    case "captured":
      return { ...s, status: "paid", channelTxnId: e.channelTxnId };
    case "failed":
      return { ...s, status: "failed" };
    case "callbackRejected":
      return { ...s, rejectedCallbacks: s.rejectedCallbacks + 1 };
    case "orderRefusedPayment":
      return s;
    case "refunded": {
      const refunded = s.refunded + e.amount;
      return {
        ...s,
        refunded,
        status: refunded >= s.amount ? "refunded" : "partially_refunded",
        refunds: [...s.refunds, { refundId: e.refundId, amount: e.amount, refundTxnId: e.refundTxnId }],
      };
    }
  }
}

type Cmd<T extends PaymentCommand["type"]> = Extract<PaymentCommand, { type: T }>;
const who = (ctx: DecideContext) => ({ at: ctx.now, by: ctx.meta.by ?? "system" });

export const paymentKind = defineKind<PaymentState, PaymentCommand, PaymentEvent>({
  name: "payment",
  commands: paymentCommandSchema,
  events: paymentEventSchema,
  initialState: initial,
  apply,
  readOnly: ["get"],
  handlers: {
    get: (s, _c, ctx) => {
      if (s.status === "new") throw new DomainError("not_found", `no payment ${ctx.id}`);
      return { events: [], reply: { paymentId: ctx.id, ...s } };
    },
    create: (s, c: Cmd<"create">, ctx) => {
      if (s.status !== "new")
        throw new DomainError("conflict", `payment ${ctx.id} exists`, { paymentStatus: s.status });
      return {
        events: [
          {
            type: "created",
            orderId: c.orderId,
            userId: c.userId,
            amount: c.amount,
            channel: c.channel,
            ...who(ctx),
          },
        ],
        reply: { paymentId: ctx.id, orderId: c.orderId, amount: c.amount, channel: c.channel },
      };
    },
    /** A verified callback. Amount mismatches are recorded and refused; replays are answered by command id. */
    confirm: (s, c: Cmd<"confirm">, ctx): Decision<PaymentEvent> => {
      if (s.status === "new") throw new DomainError("not_found", `no payment ${ctx.id}`);
      if (s.status !== "created") {
        if (s.channelTxnId === c.channelTxnId)
          return { events: [], reply: { accepted: true, duplicate: true } };
        throw new DomainError("conflict", `payment ${ctx.id} is already ${s.status}`, {
          paymentStatus: s.status,
        });
      }
      if (c.amount !== s.amount) {
        return {
          events: [
            {
              type: "callbackRejected",
              reason: "amount mismatch",
              amount: c.amount,
              channelTxnId: c.channelTxnId,
              ...who(ctx),
            },
          ],
          reply: { accepted: false, reason: `amount ${c.amount} does not match ${s.amount}` },
        };
      }
      if (c.status === "failed")
        return {
          events: [{ type: "failed", reason: "channel reported failure", ...who(ctx) }],
          reply: { accepted: true },
        };
      return {
        events: [
          { type: "captured", channelTxnId: c.channelTxnId, amount: c.amount, paidAt: c.paidAt, ...who(ctx) },
        ],
        reply: { accepted: true },
        effects: [
          {
            key: "markPaid",
            ...orders.markPaid(s.orderId, { paymentId: ctx.id, channel: s.channel, amount: c.amount }),
          },
        ],
      };
    },
    refund: (s, c: Cmd<"refund">, ctx) => {
      if (s.status !== "paid" && s.status !== "partially_refunded") {
        throw new DomainError("conflict", `cannot refund a payment that is ${s.status}`, {
          paymentStatus: s.status,
        });
      }
      if (c.amount > s.amount - s.refunded) {
        throw new DomainError(
          "invalid",
          `refund ${c.amount} exceeds the refundable ${s.amount - s.refunded}`,
          { field: "amount" },
        );
      }
      // The simulated channels accept refunds synchronously; a real adapter would make this an effect.
      return {
        events: [
          {
            type: "refunded",
            refundId: c.refundId,
            amount: c.amount,
            refundTxnId: `RF${c.refundId}`,
            ...who(ctx),
          },
        ],
        reply: { refundId: c.refundId, amount: c.amount },
      };
    },
  },
  /** The order refused the payment (cancelled or timed out meanwhile): refund it in full, automatically. */
  onEffect: (s, result: { key: string; reply: Reply }, ctx) => {
    if (result.key !== "markPaid" || result.reply.ok) return { events: [], reply: null };
    return {
      events: [
        { type: "orderRefusedPayment", reason: result.reply.error.message, ...who(ctx) },
        {
          type: "refunded",
          refundId: `${ctx.id}-auto`,
          amount: s.amount - s.refunded,
          refundTxnId: `RF${ctx.id}-auto`,
          ...who(ctx),
        },
      ],
      reply: null,
    };
  },
});
