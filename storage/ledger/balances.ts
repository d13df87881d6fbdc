/** Account balances and the trial balance: read-only views over ledger_entries. */
import type postgres from "postgres";
import type { Sql } from "../postgres/database.ts";

export interface AccountBalance {
  account: string;
  currency: string;
  debits: number;
  credits: number;
  /** debits − credits: positive for assets and expenses, negative for revenue. */
  balance: number;
}

export interface TrialBalance {
  /** True when every currency's debits equal its credits and no single transaction is unbalanced. */
  balanced: boolean;
  currencies: Record<string, { debits: number; credits: number }>;
  accounts: AccountBalance[];
  unbalancedTransactions: string[];
}

/** Per-account totals, optionally for one account or every account starting with `prefix`. */
export async function balances(
  sql: Sql | postgres.TransactionSql,
  options: { account?: string; prefix?: string } = {},
): Promise<AccountBalance[]> {
  const rows = await sql`
    SELECT account, currency,
           coalesce(sum(amount) FILTER (WHERE direction = 'debit'), 0)::text AS debits,
           coalesce(sum(amount) FILTER (WHERE direction = 'credit'), 0)::text AS credits
    FROM ledger_entries
    WHERE (${options.account ?? null}::text IS NULL OR account = ${options.account ?? null})
      AND (${options.prefix ?? null}::text IS NULL OR starts_with(account, ${options.prefix ?? null}))
    GROUP BY account, currency ORDER BY account, currency`;
  return rows.map((r) => {
    const debits = toMinor(r.debits);
    const credits = toMinor(r.credits);
    return { account: r.account, currency: r.currency, debits, credits, balance: debits - credits };
  });
}

/** Proves the books add up: total debits equal total credits, and so does every transaction. */
export async function trialBalance(sql: Sql | postgres.TransactionSql): Promise<TrialBalance> {
  const accounts = await balances(sql);
  // Totals are summed by Postgres (numeric, exact) rather than by adding JS numbers.
  const totals = await sql`
    SELECT currency,
           coalesce(sum(amount) FILTER (WHERE direction = 'debit'), 0)::text AS debits,
           coalesce(sum(amount) FILTER (WHERE direction = 'credit'), 0)::text AS credits
    FROM ledger_entries GROUP BY currency ORDER BY currency`;
  const currencies: TrialBalance["currencies"] = {};
  for (const t of totals) currencies[t.currency] = { debits: toMinor(t.debits), credits: toMinor(t.credits) };
  const unbalanced = await sql`
    SELECT transaction_id FROM ledger_entries GROUP BY transaction_id, currency
    HAVING sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) <> 0
    ORDER BY transaction_id`;
  const unbalancedTransactions = unbalanced.map((r) => r.transaction_id as string);
  const balanced =
    unbalancedTransactions.length === 0 && Object.values(currencies).every((c) => c.debits === c.credits);
  return { balanced, currencies, accounts, unbalancedTransactions };
}

/** Parses a bigint column or sum read as text; refuses values a JS number cannot hold exactly. */
export function toMinor(value: string | number | bigint): number {
  const n = BigInt(value);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`amount ${n} exceeds the safe integer range`);
  }
  return Number(n);
}
