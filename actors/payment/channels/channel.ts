/**
 * One interface for every payment channel (WeChat Pay, Alipay, UnionPay). The merchant side
 * (`PaymentChannel`) signs what the client app hands to the channel SDK and verifies the channel's
 * signed callbacks; the simulator side (`ChannelSimulator`) plays the channel itself, signing with the
 * channel's private key exactly as the real one does, so tests and the demo exercise the real checks.
 *
 * Money is always integer minor units (fen, CNY). Channels that speak yuan strings convert exactly.
 */

export type ChannelName = "wechat" | "alipay" | "unionpay";
export const CHANNEL_NAMES: readonly ChannelName[] = ["wechat", "alipay", "unionpay"];

/** Outcome a callback reports. A failed payment moved no money; a refund moved `amount` back. */
export type CallbackStatus = "paid" | "failed" | "refunded";

export interface PaymentRequest {
  paymentId: string;
  orderId: string;
  /** Fen, a positive safe integer. */
  amount: number;
  description: string;
  notifyUrl: string;
}

/**
 * What the client app passes to the channel SDK, signed with the merchant key.
 * - wechat: JSAPI `wx.requestPayment` fields; `paySign` covers `appId\ntimeStamp\nnonceStr\npackage\n`.
 * - alipay: the `alipay.trade.app.pay` order string (form-encoded params ending in `sign`).
 * - unionpay: the gateway form fields the browser auto-submits, `signature` included.
 */
export type ClientPaymentParams =
  | {
      channel: "wechat";
      appId: string;
      timeStamp: string;
      nonceStr: string;
      package: string;
      signType: "RSA";
      paySign: string;
    }
  | { channel: "alipay"; orderString: string }
  | { channel: "unionpay"; fields: Record<string, string> };

export interface VerifiedCallback {
  paymentId: string;
  /** The channel's id for the payment (never the refund's): with `status`, a natural dedupe key. */
  channelTxnId: string;
  /**
   * Fen. For `refunded`: WeChat and UnionPay report this refund's amount; Alipay reports `refund_fee`,
   * the payment's cumulative refunded total (equal for a single full refund).
   */
  amount: number;
  status: CallbackStatus;
  /** ISO-8601 UTC: when the channel recorded the outcome (paid, refunded or closed). */
  paidAt: string;
  /** Every field the channel sent, decrypted where the channel encrypts: kept for audit. */
  raw: Record<string, unknown>;
}

export interface RefundRequest {
  refundId: string;
  paymentId: string;
  channelTxnId: string;
  /** Fen, a positive safe integer. */
  amount: number;
}

export interface RefundResult {
  /** Derived from `refundId`, so a retried refund gets the same id, as channels dedupe on it. */
  refundTxnId: string;
  status: "accepted";
}

/**
 * One payment outcome for a channel's daily statement. `failed` ones moved no money, so channels
 * leave them out of the file and `parseStatement` never yields them.
 */
export interface StatementEntry {
  paymentId: string;
  channelTxnId: string;
  /** Fen, positive; for `refunded`, the amount refunded. */
  amount: number;
  status: CallbackStatus;
  /** ISO-8601. */
  at: string;
}

/** The HTTP answer the channel expects from the notify endpoint; anything else makes it retry. */
export interface CallbackReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface PaymentChannel {
  readonly name: ChannelName;
  /** Signs the client-side payment parameters. Throws `ChannelInputError` on a bad request. */
  createPayment(req: PaymentRequest): ClientPaymentParams;
  /**
   * The same, with the RSA signature computed on the thread pool, not on the caller's event loop (it
   * costs ~1 ms there): for request handlers. Rejects with `ChannelInputError` on a bad request.
   */
  createPaymentAsync(req: PaymentRequest): Promise<ClientPaymentParams>;
  /** Authenticates and decodes a callback. Throws `ChannelSignatureError` for anything not trustworthy. */
  verifyCallback(input: { headers: Record<string, string>; body: string }): VerifiedCallback;
  /** Simulated locally: a real adapter would send the signed refund request here. */
  refund(req: RefundRequest): RefundResult;
  /** Reads this channel's statement file (as made by `statement`) back into entries, for reconciliation. */
  parseStatement(text: string): StatementEntry[];
  /** What to answer the channel once the callback is handled (`ok`) or refused (it will retry). */
  callbackReply(ok: boolean): CallbackReply;
}

export interface SimulatedPayment {
  paymentId: string;
  /** Fen: the amount paid or, for `refunded`, refunded. */
  amount: number;
  /** Default `paid`. */
  status?: CallbackStatus;
  /** Default: derived from `paymentId`, so duplicate callbacks carry the same id, as real ones do. */
  channelTxnId?: string;
  /** Default: the channel clock. */
  at?: Date;
  /** For `refunded`: the merchant refund id. Default derived from `paymentId`. */
  refundId?: string;
}

/** The channel's side of a payment the client app submitted, once the merchant signature checked out. */
export interface AcceptedPayment {
  paymentId: string;
  amount: number;
  notifyUrl: string;
}

/** A callback HTTP request as the channel would send it. */
export interface SimulatedCallback {
  headers: Record<string, string>;
  body: string;
}

export interface ChannelSimulator {
  /** The callback HTTP request the channel would send, signed with the channel's private key. */
  simulateCallback(payment: SimulatedPayment): SimulatedCallback;
  /**
   * The same, with the RSA signature computed on the thread pool, not on the caller's event loop (request
   * handlers use this one).
   */
  simulateCallbackAsync(payment: SimulatedPayment): Promise<SimulatedCallback>;
  /** That day's statement file (CSV with a header row) in the channel's style. */
  statement(date: string, payments: StatementEntry[]): string;
  /** Checks the merchant signature on client params as the channel would; throws `ChannelSignatureError`. */
  acceptPayment(params: ClientPaymentParams): AcceptedPayment;
}

/** `downgrade`: an older, weaker signature scheme than the one configured (refused, never verified). */
export type SignatureFailure =
  | "missing_signature"
  | "bad_signature"
  | "unknown_key"
  | "stale"
  | "malformed"
  | "downgrade";

/**
 * A callback (or client request, on the simulator side) whose authenticity or content could not be
 * established. The caller must not change any state and should answer with `callbackReply(false)`.
 */
export class ChannelSignatureError extends Error {
  readonly reason: SignatureFailure;
  constructor(reason: SignatureFailure, message: string) {
    super(message);
    this.name = "ChannelSignatureError";
    this.reason = reason;
  }
}

/** The merchant side asked for something the channel would refuse (bad amount, id, key or date). */
export class ChannelInputError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = "ChannelInputError";
    this.field = field;
  }
}
