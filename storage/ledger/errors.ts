/** Base class, so callers can tell a refused posting from an infrastructure failure. */
export class LedgerError extends Error {
  override name = "LedgerError";
}

/** The input is malformed (missing id, unknown kind, bad date...); nothing was written. */
export class InvalidLedgerTransactionError extends LedgerError {
  override name = "InvalidLedgerTransactionError";
}

/** Debits differ from credits, or an amount is not a positive integer; nothing was written. */
export class UnbalancedTransactionError extends LedgerError {
  override name = "UnbalancedTransactionError";
  constructor(
    readonly transactionId: string,
    detail: string,
  ) {
    super(`ledger transaction ${transactionId} refused: ${detail}`);
  }
}

/** The id was already posted with a different meaning: an idempotency key reused for other money. */
export class LedgerConflictError extends LedgerError {
  override name = "LedgerConflictError";
  constructor(
    readonly transactionId: string,
    detail: string,
  ) {
    super(`ledger transaction ${transactionId} already exists with different content: ${detail}`);
  }
}

/** A refund would take the payment's refunded total above what was captured; nothing was written. */
export class RefundExceedsCaptureError extends LedgerError {
  override name = "RefundExceedsCaptureError";
  constructor(
    readonly paymentId: string,
    readonly captured: number,
    readonly refunded: number,
    readonly requested: number,
  ) {
    super(
      `refund of ${requested} on payment ${paymentId} exceeds what is left: captured ${captured}, already refunded ${refunded}`,
    );
  }
}

/** A scheduled run's attempt was superseded (the job moved to another node, which runs it again). */
export class StaleRunError extends LedgerError {
  override name = "StaleRunError";
  constructor(runId: string, attempt: number) {
    super(`run ${runId} attempt ${attempt} was superseded by a newer attempt; nothing written`);
  }
}
