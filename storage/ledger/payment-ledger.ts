import type { ChannelName, StatementEntry } from "../../actors/payment/channels/index.ts";
import type { Sql } from "../postgres/database.ts";
import { type ReconciliationReport, reconcile } from "./reconcile.ts";

/** The payments side of the ledger as the gateway sees it: money moved per channel, and reconciliation. */
export class PostgresPaymentLedger {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Captures and refunds on `channel` during `date` (a Beijing calendar day), oldest first. */
  async channelMovements(channel: ChannelName, date: string): Promise<StatementEntry[]> {
    const rows = await this.#sql`
      SELECT t.payment_id, t.kind, t.occurred_at, p.channel_txn_id,
        (SELECT sum(amount) FROM ledger_entries e WHERE e.transaction_id = t.id AND e.direction = 'debit')::bigint AS amount
      FROM ledger_transactions t JOIN payments p ON p.payment_id = t.payment_id
      WHERE t.channel = ${channel} AND t.kind IN ('capture', 'refund')
        AND (t.occurred_at AT TIME ZONE 'Asia/Shanghai')::date = ${date}::date
      ORDER BY t.occurred_at`;
    return rows.map((r) => ({
      paymentId: r.payment_id as string,
      channelTxnId: (r.channel_txn_id as string) ?? "",
      amount: Number(r.amount),
      status: r.kind === "capture" ? "paid" : "refunded",
      at: (r.occurred_at as Date).toISOString(),
    }));
  }

  reconcile(options: {
    channel: ChannelName;
    date: string;
    statement: StatementEntry[];
    run?: { runId: string; attempt: number };
  }): Promise<ReconciliationReport> {
    return reconcile(this.#sql, options);
  }
}
