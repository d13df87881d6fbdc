/**
 * Chart of accounts and the posting rules for payment events. Every rule below produces a balanced
 * transaction with a deterministic id, so re-delivering the same event posts nothing new.
 */
import type { Minor, PostTransactionInput } from "./ledger.ts";

/** The only currency the back office handles; amounts are integer fen. */
export const CURRENCY = "CNY";

/**
 * Asset, one per channel (`customer_payments_clearing:wechat`): money the customer paid that sits at
 * the channel and has not been settled to our bank yet. Its balance is what the channel owes us.
 */
export const CLEARING_ACCOUNT_PREFIX = "customer_payments_clearing:";
export function clearingAccount(channel: string): string {
  return `${CLEARING_ACCOUNT_PREFIX}${channel}`;
}

/**
 * Revenue from paid orders. Simplification: recognised at capture rather than at shipment, because the
 * payments module has no view of fulfilment; a later split into `customer_deposits` stays possible.
 */
export const SALES_REVENUE = "sales_revenue";

/** Contra-revenue: money given back. Kept apart from sales_revenue so gross sales stay visible. */
export const SALES_REFUNDS = "sales_refunds";

/** Asset: our bank account, where channel settlements land. */
export const BANK = "bank";

/** Expense: fees the channel keeps out of a settlement. */
export const CHANNEL_FEES = "channel_fees";

interface PaymentFacts {
  paymentId: string;
  orderId?: string | null;
  channel: string;
  amount: Minor;
  occurredAt: Date | string;
  source?: { seq: number; idx: number };
}

/** Payment captured: debit the channel's clearing account, credit sales revenue. */
export function captureTransaction(p: PaymentFacts): PostTransactionInput {
  return {
    id: `payment:${p.paymentId}:captured`,
    kind: "capture",
    ...p,
    entries: [
      { account: clearingAccount(p.channel), direction: "debit", amount: p.amount },
      { account: SALES_REVENUE, direction: "credit", amount: p.amount },
    ],
  };
}

/**
 * Refund completed by the channel: debit sales_refunds, credit the channel's clearing account.
 * `refundId` distinguishes several partial refunds of one payment.
 */
export function refundTransaction(p: PaymentFacts & { refundId: string }): PostTransactionInput {
  const { refundId, ...facts } = p;
  return {
    id: `payment:${p.paymentId}:refund:${refundId}`,
    kind: "refund",
    ...facts,
    entries: [
      { account: SALES_REFUNDS, direction: "debit", amount: p.amount },
      { account: clearingAccount(p.channel), direction: "credit", amount: p.amount },
    ],
  };
}

/**
 * Channel paid out a batch: credit clearing with the gross, debit the bank with what arrived and
 * channel_fees with what the channel kept.
 */
export function settlementTransaction(s: {
  settlementId: string;
  channel: string;
  gross: Minor;
  fee: Minor;
  occurredAt: Date | string;
}): PostTransactionInput {
  // Plain numbers stay numbers so a fractional input reaches postTransaction and is refused there.
  const net =
    typeof s.gross === "number" && typeof s.fee === "number"
      ? s.gross - s.fee
      : BigInt(s.gross) - BigInt(s.fee);
  return {
    id: `settlement:${s.channel}:${s.settlementId}`,
    kind: "settlement",
    channel: s.channel,
    occurredAt: s.occurredAt,
    entries: [
      // Zero legs are dropped: a ledger entry always moves money.
      ...(Number(net) !== 0 ? [{ account: BANK, direction: "debit" as const, amount: net }] : []),
      ...(Number(s.fee) !== 0 ? [{ account: CHANNEL_FEES, direction: "debit" as const, amount: s.fee }] : []),
      { account: clearingAccount(s.channel), direction: "credit", amount: s.gross },
    ],
  };
}
