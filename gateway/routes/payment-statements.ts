import { z } from "zod";
import type { ChannelName, SimulatedChannel } from "../../actors/payment/channels/index.ts";
import { text } from "../../actors/shared/index.ts";
import type { GatewayKit } from "../app.ts";
import type { PaymentLedger } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { calendarDaySchema } from "../schemas.ts";
import { parseBody, parseQuery } from "../validate.ts";
import { channelEnum, channelNamed } from "./payment-channels.ts";

export interface PaymentStatementRouteDeps {
  channels: Record<ChannelName, SimulatedChannel>;
  ledger: PaymentLedger;
}

// A real calendar day: `2026-02-30` or `0000-01-01` used to reach Postgres and come back as a 500.
const statementQuery = z.object({ date: calendarDaySchema }).strict();
const reconcileBody = z
  .object({
    channel: channelEnum,
    date: calendarDaySchema,
    /** A channel statement file: lines of text, so line breaks are allowed, other controls are not. */
    statement: text({ max: 5_000_000, trim: false, multiline: true, normalize: false }),
  })
  .strict();

const reconciliationReportSchema = z.looseObject({
  id: z.string(),
  channel: channelEnum,
  date: z.string(),
  matched: z.number().int(),
  missing: z.array(z.looseObject({ paymentId: z.string(), amount: z.number().int() })),
  extra: z.array(z.looseObject({ paymentId: z.string(), amount: z.number().int() })),
  amountMismatches: z.array(
    z.looseObject({ paymentId: z.string(), ledger: z.number(), statement: z.number() }),
  ),
  statusMismatches: z.array(z.looseObject({ paymentId: z.string() })),
});

/** Daily statements: the simulated channels' statement files, and reconciling one against the ledger. */
export function paymentStatementRoutes(deps: PaymentStatementRouteDeps) {
  return ({ define }: GatewayKit) => {
    define(
      {
        method: "get",
        path: "/v1/payments/statements/:channel",
        summary: "Simulator: the channel's statement file for a day (CSV)",
        tag: "Payments",
        permission: "payment:read",
        query: statementQuery,
        response: { status: 200, contentType: "text/csv", schema: z.string(), description: "The CSV file" },
      },
      async (c) => {
        const name = channelNamed(c.req.param("channel"));
        if (!name) throw new ProblemError(404, "not-found", `unknown channel ${c.req.param("channel")}`);
        const { date } = parseQuery(c, statementQuery);
        // The simulated channel saw exactly the money that moved; its statement is built from those movements.
        const entries = await deps.ledger.channelMovements(name, date);
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
          schema: reconciliationReportSchema,
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
            `statement file is not a ${body.channel} statement: ${error instanceof Error ? error.message : String(error)}`,
            { field: "statement" },
          );
        }
        return c.json(
          await deps.ledger.reconcile({ channel: body.channel, date: body.date, statement }),
          201,
        );
      },
    );
  };
}
