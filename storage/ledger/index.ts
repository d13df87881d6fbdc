export {
  BANK,
  CHANNEL_FEES,
  CLEARING_ACCOUNT_PREFIX,
  CURRENCY,
  captureTransaction,
  clearingAccount,
  refundTransaction,
  SALES_REFUNDS,
  SALES_REVENUE,
  settlementTransaction,
} from "./accounts.ts";
export { type AccountBalance, balances, type TrialBalance, toMinor, trialBalance } from "./balances.ts";
export {
  InvalidLedgerTransactionError,
  LedgerConflictError,
  LedgerError,
  RefundExceedsCaptureError,
  UnbalancedTransactionError,
} from "./errors.ts";
export {
  type Direction,
  LEDGER_KINDS,
  type LedgerEntryInput,
  type LedgerKind,
  type Minor,
  type PostTransactionInput,
  postTransaction,
  postTransactions,
} from "./ledger.ts";
export {
  type LedgerSide,
  type ReconcileOptions,
  type ReconciliationReport,
  reconcile,
  type StatementKind,
  type StatementLine,
  type StatementSide,
  type StatementStatus,
} from "./reconcile.ts";
