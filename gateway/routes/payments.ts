import { createHash } from "node:crypto";
import type { Context } from "hono";
import { z } from "zod";
import {
  CHANNEL_NAMES,
  ChannelInputError,
  type ChannelName,
  ChannelSignatureError,
  type SimulatedChannel,
} from "../../actors/payment/channels/index.ts";
import { reconcile } from "../../storage/ledger/index.ts";
import type { Sql } from "../../storage/postgres/database.ts";
import type { GatewayKit } from "../app.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";

export interface PaymentRouteDeps {
  channels: Record<ChannelName, SimulatedChannel>;
  sql: Sql;
  /** Where channels post callbacks (this gateway's public URL). */
  publicUrl: string;
  /** Risk rules: most one payment may be, and most payments one user may start per hour. */
  risk: { maxAmount: number; maxPerUserPerHour: number; blacklist: ReadonlySet<string> };
  /** Counts payments per user per hour (Redis INCR with expiry). */
  velocity(userId: string): Promise<number>;
}

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;
const statementQuery = z.object({ date: z.string().regex(dayPattern, "a day as YYYY-MM-DD") }).strict();
const reconcileBody = z
  .object({
    channel: z.enum(CHANNEL_NAMES as [ChannelName, ...ChannelName[]]),
    date: z.string().regex(dayPattern, "a day as YYYY-MM-DD"),
    statement: z.string().min(1).max(5_000_000),
  })
  .strict();

const createBody = z
  .object({ orderId: codeSchema, channel: z.enum(CHANNEL_NAMES as [ChannelName, ...ChannelName[]]) })
  .strict();
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
        response: { status: 201, description: "{ paymentId, channel, params }" },
      },
      async (c) => {
        const body = await parseBody(c, createBody);
        const order = (await command(c, "order", body.orderId, { type: "get" }, { readOnly: true })) as {
          status: string;
          userId: string;
          amounts: { total: number };
        };
        if (order.status !== "pending_payment") {
          throw new ProblemError(
            409,
            "conflict",
            `order ${body.orderId} is ${order.status}, not pending_payment`,
            { orderStatus: order.status },
          );
        }
        const amount = order.amounts.total;
        if (deps.risk.blacklist.has(order.userId))
          throw new ProblemError(403, "forbidden", "payments from this user are blocked", {
            reason: "blacklist",
          });
        if (amount > deps.risk.maxAmount) {
          throw new ProblemError(
            422,
            "risk-rejected",
            `amount ${amount} exceeds the single-payment limit ${deps.risk.maxAmount}`,
            { field: "amount", reason: "amount" },
          );
        }
        if ((await deps.velocity(order.userId)) > deps.risk.maxPerUserPerHour) {
          throw new ProblemError(
            429,
            "rate-limited",
            "too many payments for this user in the last hour",
            { reason: "velocity" },
            3600,
          );
        }
        const paymentId = paymentIdFor(body.orderId, body.channel);
        await command(
          c,
          "payment",
          paymentId,
          { type: "create", orderId: body.orderId, userId: order.userId, amount, channel: body.channel },
          { id: `create:${paymentId}` },
        );
        const params = deps.channels[body.channel].createPayment({
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
      },
      async (c) =>
        c.json(
          await command(
            c,
            "payment",
            parseParam(c.req.param("paymentId"), codeSchema, "paymentId") as string,
            { type: "get" },
            { readOnly: true },
          ),
        ),
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
          await deps.sql`INSERT INTO audit_log (principal, action, target, request_id, detail)
            VALUES (${`channel:${channelName}`}, 'payment.callback_rejected', ${`channel/${channelName}`},
                    ${requestIdOf(c)}, ${deps.sql.json({ reason: error.message })})`;
          const reply = channel.callbackReply(false);
          return c.body(reply.body, 400, reply.headers);
        }
        throw error;
      }
      if (verified.status === "refunded") return replyWith(c, channel, true);
      const meta = { by: `channel:${channelName}`, requestId: requestIdOf(c) };
      const reply = await commandAs(
        c,
        kit,
        meta,
        "payment",
        verified.paymentId,
        {
          type: "confirm",
          channelTxnId: verified.channelTxnId,
          amount: verified.amount,
          status: verified.status,
          paidAt: verified.paidAt,
        },
        `callback:${verified.channelTxnId}:${verified.status}`,
      );
      const accepted = (reply as { accepted?: boolean }).accepted !== false;
      return replyWith(c, channel, accepted);
    };

    define(
      {
        method: "post",
        path: "/v1/payments/callbacks/:channel",
        summary: "Channel callback (no bearer token: the channel's RSA signature is the auth)",
        tag: "Payments",
        public: true,
      },
      async (c) => {
        const name = c.req.param("channel") as ChannelName;
        if (!CHANNEL_NAMES.includes(name))
          throw new ProblemError(404, "not-found", `unknown channel ${name}`);
        const headers: Record<string, string> = {};
        c.req.raw.headers.forEach((value, key) => {
          headers[key] = value;
        });
        return handleCallback(c, name, { headers, body: await c.req.text() });
      },
    );

    define(
      {
        method: "get",
        path: "/v1/payments/statements/:channel",
        summary: "Simulator: the channel's statement file for a day (CSV)",
        tag: "Payments",
        permission: "payment:read",
        query: statementQuery,
      },
      async (c) => {
        const name = c.req.param("channel") as ChannelName;
        if (!CHANNEL_NAMES.includes(name))
          throw new ProblemError(404, "not-found", `unknown channel ${name}`);
        const { date } = parseQuery(c, statementQuery) as z.infer<typeof statementQuery>;
        // The simulated channel saw exactly the money that moved; its statement is built from those movements.
        const rows = await deps.sql`
          SELECT t.payment_id, t.kind, t.occurred_at, p.channel_txn_id,
            (SELECT sum(amount) FROM ledger_entries e WHERE e.transaction_id = t.id AND e.direction = 'debit')::bigint AS amount
          FROM ledger_transactions t JOIN payments p ON p.payment_id = t.payment_id
          WHERE t.channel = ${name} AND t.kind IN ('capture', 'refund')
            AND (t.occurred_at AT TIME ZONE 'Asia/Shanghai')::date = ${date}::date
          ORDER BY t.occurred_at`;
        const entries = rows.map((r) => ({
          paymentId: r.payment_id as string,
          channelTxnId: (r.channel_txn_id as string) ?? "",
          amount: Number(r.amount),
          status: (r.kind === "capture" ? "paid" : "refunded") as "paid" | "refunded",
          at: (r.occurred_at as Date).toISOString(),
        }));
        return c.text(deps.channels[name].statement(date, entries), 200, {
          "content-type": "text/csv; charset=utf-8",
        });
      },
    );

    define(
      {
        method: "post",
        path: "/v1/payments/reconciliations",
        summary: "Reconcile a channel's statement file against the ledger for a day",
        tag: "Payments",
        permission: "payment:reconcile",
        body: reconcileBody,
        response: {
          status: 201,
          description: "The report: matched, missing, extra, amount and status differences",
        },
      },
      async (c) => {
        const body = await parseBody(c, reconcileBody);
        let statement: ReturnType<SimulatedChannel["parseStatement"]>;
        try {
          statement = deps.channels[body.channel].parseStatement(body.statement);
        } catch (error) {
          throw new ProblemError(
            400,
            "validation",
            `statement file is not a ${body.channel} statement: ${(error as Error).message}`,
            { field: "statement" },
          );
        }
        return c.json(await reconcile(deps.sql, { channel: body.channel, date: body.date, statement }), 201);
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
      },
      async (c) => {
        const paymentId = parseParam(c.req.param("paymentId"), codeSchema, "paymentId") as string;
        const body = await parseBody(c, simulateBody);
        const payment = (await command(c, "payment", paymentId, { type: "get" }, { readOnly: true })) as {
          channel: ChannelName;
          amount: number;
        };
        const callback = deps.channels[payment.channel].simulateCallback({
          paymentId,
          amount: body.amount ?? payment.amount,
          status: body.status,
        });
        return handleCallback(c, payment.channel, callback);
      },
    );
  };
}

/** Callbacks have no principal, so the request id is read directly. */
const requestIdOf = (c: Context) => c.get("requestId" as never) as string;

function replyWith(c: Context, channel: SimulatedChannel, ok: boolean): Response {
  const reply = channel.callbackReply(ok);
  return c.body(reply.body, reply.status as 200, reply.headers);
}

/** A command on behalf of the channel (callbacks have no user). */
async function commandAs(
  c: Context,
  kit: GatewayKit,
  meta: { by: string; requestId: string },
  kind: string,
  id: string,
  cmd: Record<string, unknown> & { type: string },
  commandId: string,
) {
  c.set("principal" as never, { username: meta.by, permissions: [] } as never);
  return kit.command(c, kind, id, cmd, { id: commandId });
}
