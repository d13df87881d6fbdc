import { createHash } from "node:crypto";
import type { Context } from "hono";
import { z } from "zod";
import {
  ChannelInputError,
  type ChannelName,
  ChannelSignatureError,
  type SimulatedChannel,
} from "../../actors/payment/channels/index.ts";
import type { GatewayKit } from "../app.ts";
import type { AuditLog, PaymentRisk, RiskVerdict } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam } from "../validate.ts";
import {
  callbackResponseDocs,
  channelEnum,
  channelNamed,
  paymentStartedSchema,
  paymentViewSchema,
} from "./payment-channels.ts";

export interface PaymentRouteDeps {
  channels: Record<ChannelName, SimulatedChannel>;
  audit: AuditLog;
  /** Where channels post callbacks (this gateway's public URL). */
  publicUrl: string;
  /** Risk rules (blacklist, single-payment limit, per-user velocity) checked before a payment starts. */
  risk: PaymentRisk;
}

/** The parts of the actors' `get` replies these routes read (`amountDue`: presale deposit, then balance). */
interface OrderToPay {
  status: string;
  userId: string;
  amounts: { total: number };
  amountDue?: number;
}
interface PaymentView {
  channel: ChannelName;
  amount: number;
}

const createBody = z.object({ orderId: codeSchema, channel: channelEnum }).strict();
const simulateBody = z
  .object({
    status: z.enum(["paid", "failed"]).default("paid"),
    amount: z.number().int().positive().optional(),
  })
  .strict();

export function paymentIdFor(orderId: string, channel: string): string {
  return `P${createHash("sha256")
    .update(`${orderId}\u0000${channel}`)
    .digest("base64url")
    .slice(0, 22)
    .replace(/[^A-Za-z0-9]/g, "x")}`;
}

/**
 * Payments at the edge: creating a payment (risk rules, then the payment actor, then the channel's signed
 * client parameters) and the channels' callbacks, which carry no bearer token: the signature is the auth.
 */
export function paymentRoutes(deps: PaymentRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;

    define(
      {
        method: "post",
        path: "/v1/payments",
        summary: "Start paying an order: returns what the client passes to the channel",
        tag: "Payments",
        permission: "payment:write",
        body: createBody,
        response: {
          status: 201,
          schema: paymentStartedSchema,
          description: "The payment and the client's params",
        },
      },
      async (c) => {
        const body = await parseBody(c, createBody);
        const order = await kit.read<OrderToPay>(c, "order", body.orderId);
        const balance = order.status === "awaiting_balance";
        if (order.status !== "pending_payment" && !balance) {
          throw new ProblemError(
            409,
            "conflict",
            `order ${body.orderId} is ${order.status}, not pending_payment`,
            { orderStatus: order.status },
          );
        }
        const amount = order.amountDue ?? order.amounts.total;
        const verdict = await deps.risk.assess({ userId: order.userId, amount });
        if (!verdict.allowed) throw riskProblem(verdict, amount);
        const paymentId = paymentIdFor(balance ? `${body.orderId}:balance` : body.orderId, body.channel);
        await command(
          c,
          "payment",
          paymentId,
          { type: "create", orderId: body.orderId, userId: order.userId, amount, channel: body.channel },
          { id: `create:${paymentId}` },
        );
        const params = await deps.channels[body.channel].createPaymentAsync({
          paymentId,
          orderId: body.orderId,
          amount,
          description: `Order ${body.orderId}`,
          notifyUrl: `${deps.publicUrl}/v1/payments/callbacks/${body.channel}`,
        });
        return c.json({ paymentId, orderId: body.orderId, channel: body.channel, amount, params }, 201);
      },
    );

    define(
      {
        method: "get",
        path: "/v1/payments/:paymentId",
        summary: "A payment and its refunds",
        tag: "Payments",
        permission: "payment:read",
        response: { status: 200, schema: paymentViewSchema, description: "The payment" },
      },
      async (c) =>
        c.json(await kit.read(c, "payment", parseParam(c.req.param("paymentId"), codeSchema, "paymentId"))),
    );

    const handleCallback = async (
      c: Context,
      channelName: ChannelName,
      input: { headers: Record<string, string>; body: string },
    ) => {
      const channel = deps.channels[channelName];
      let verified: ReturnType<typeof channel.verifyCallback>;
      try {
        verified = channel.verifyCallback(input);
      } catch (error) {
        if (error instanceof ChannelSignatureError || error instanceof ChannelInputError) {
          // Forgeries and garbage are recorded for the risk team, and the channel is told no.
          await deps.audit.record({
            principal: `channel:${channelName}`,
            action: "payment.callback_rejected",
            target: `channel/${channelName}`,
            requestId: kit.requestId(c),
            detail: { reason: error.message },
          });
          const reply = channel.callbackReply(false);
          return c.body(reply.body, 400, reply.headers);
        }
        throw error;
      }
      if (verified.status === "refunded") return replyWith(c, channel, true);
      // Callbacks have no user: the command is on behalf of the channel.
      const meta = { by: `channel:${channelName}`, requestId: kit.requestId(c) };
      c.set("principal" as never, { username: meta.by, permissions: [] } as never);
      const reply = await command<{ accepted?: boolean }>(
        c,
        "payment",
        verified.paymentId,
        {
          type: "confirm",
          channelTxnId: verified.channelTxnId,
          amount: verified.amount,
          status: verified.status,
          paidAt: verified.paidAt,
        },
        // The id names what the callback says, not only which transaction: a refused callback (a wrong
        // amount) must not answer for the genuine one of the same transaction, while a channel's
        // retries of one callback still share one id and one answer.
        { id: `callback:${verified.channelTxnId}:${verified.status}:${verified.amount}`, meta },
      );
      return replyWith(c, channel, reply.accepted !== false);
    };

    define(
      {
        method: "post",
        path: "/v1/payments/callbacks/:channel",
        summary: "Channel callback (no bearer token: the channel's RSA signature is the auth)",
        tag: "Payments",
        public: true,
        ...callbackResponseDocs,
      },
      async (c) => {
        const name = channelNamed(c.req.param("channel"));
        if (!name) throw new ProblemError(404, "not-found", `unknown channel ${c.req.param("channel")}`);
        const headers: Record<string, string> = {};
        c.req.raw.headers.forEach((value, key) => {
          headers[key] = value;
        });
        return handleCallback(c, name, { headers, body: await c.req.text() });
      },
    );

    define(
      {
        method: "post",
        path: "/v1/payments/:paymentId/simulate",
        summary: "Simulator: make the channel send a signed callback for this payment",
        tag: "Payments",
        permission: "payment:simulate",
        body: simulateBody,
        ...callbackResponseDocs,
      },
      async (c) => {
        const paymentId = parseParam(c.req.param("paymentId"), codeSchema, "paymentId");
        const body = await parseBody(c, simulateBody);
        const payment = await kit.read<PaymentView>(c, "payment", paymentId);
        const callback = await deps.channels[payment.channel].simulateCallbackAsync({
          paymentId,
          amount: body.amount ?? payment.amount,
          status: body.status,
        });
        return handleCallback(c, payment.channel, callback);
      },
    );
  };
}

function replyWith(c: Context, channel: SimulatedChannel, ok: boolean): Response {
  const reply = channel.callbackReply(ok);
  return c.body(reply.body, reply.status as 200, reply.headers);
}

/** A risk refusal as the client sees it: who is blocked is 403, too much 422, too often 429. */
function riskProblem(verdict: Exclude<RiskVerdict, { allowed: true }>, amount: number): ProblemError {
  switch (verdict.reason) {
    case "blacklist":
      return new ProblemError(403, "forbidden", "payments from this user are blocked", {
        reason: "blacklist",
      });
    case "amount":
      return new ProblemError(
        422,
        "risk-rejected",
        `amount ${amount} exceeds the single-payment limit ${verdict.limit}`,
        { field: "amount", reason: "amount" },
      );
    case "velocity":
      return new ProblemError(
        429,
        "rate-limited",
        "too many payments for this user in the last hour",
        { reason: "velocity" },
        verdict.retryAfterSeconds,
      );
  }
}
