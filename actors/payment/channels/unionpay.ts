/**
 * UnionPay online gateway (ACP 5.1.0, `signMethod=01`). Callbacks are form posts; `signature` is
 * base64 RSA-SHA256 over the *hex SHA-256 digest* of the other fields sorted by key and joined
 * `k=v&…` (UnionPay hashes first, then signs the hex text), made with the key named by `certId`.
 * Amounts (`txnAmt`) are already fen.
 */
import type { KeyObject } from "node:crypto";
import {
  type AcceptedPayment,
  type CallbackReply,
  ChannelInputError,
  ChannelSignatureError,
  type ChannelSimulator,
  type ClientPaymentParams,
  type PaymentChannel,
  type PaymentRequest,
  type RefundRequest,
  type RefundResult,
  type SimulatedPayment,
  type StatementEntry,
  type VerifiedCallback,
} from "./channel.ts";
import type { ChannelKeySet } from "./keys.ts";
import { parseUnionpayFile, unionpayFile } from "./statements.ts";
import * as w from "./wire.ts";

export interface UnionpayOptions {
  now: () => Date;
  /** 15-digit merchant number. */
  merId: string;
}

const defaults: UnionpayOptions = { now: () => new Date(), merId: "777290058110048" };

/** `orderId`: 8–40 letters and digits; UnionPay refuses '-' and '_'. */
const ORDER_ID = /^[0-9A-Za-z]{8,40}$/;
const FORM = { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" };
/** "00" success; "A6" is UnionPay's "success with defects", still money received. */
const SUCCESS = new Set(["00", "A6"]);

function fail(message: string): never {
  throw new ChannelSignatureError("malformed", `unionpay: ${message}`);
}

function digest(fields: Record<string, string>): string {
  return w.sha256Hex(w.signingString(fields, ["signature"]));
}

/** The `queryId` UnionPay assigns: 21 digits, derived so duplicates of one event carry one id. */
export function unionpayQueryId(seed: string): string {
  return w.derivedDigits(`unionpay:${seed}`, 21);
}

export class UnionpayChannel implements PaymentChannel, ChannelSimulator {
  readonly name = "unionpay" as const;
  readonly #opts: UnionpayOptions;
  readonly #keys: ChannelKeySet;
  readonly #merchantKey: KeyObject;
  readonly #merchantPublic: KeyObject;
  readonly #platformPublic: KeyObject;
  readonly #platformKey: KeyObject | undefined;

  constructor(keys: ChannelKeySet, options: Partial<UnionpayOptions> = {}) {
    this.#opts = { ...defaults, ...options };
    this.#keys = keys;
    this.#merchantKey = w.privateKey(keys.merchant.privateKey, "unionpay.merchant.privateKey")!;
    this.#merchantPublic = w.publicKey(keys.merchant.publicKey, "unionpay.merchant.publicKey");
    this.#platformPublic = w.publicKey(keys.platform.publicKey, "unionpay.platform.publicKey");
    this.#platformKey = w.privateKey(keys.platform.privateKey, "unionpay.platform.privateKey");
  }

  #common(certId: string): Record<string, string> {
    const common = { version: "5.1.0", encoding: "UTF-8", signMethod: "01", bizType: "000201" };
    return { ...common, accessType: "0", merId: this.#opts.merId, currencyCode: "156", certId };
  }

  createPayment(req: PaymentRequest): ClientPaymentParams {
    w.assertId(req.paymentId, ORDER_ID, "paymentId");
    w.assertAmount(req.amount);
    if (!URL.canParse(req.notifyUrl)) throw new ChannelInputError("notifyUrl", "not a URL");
    const fields: Record<string, string> = {
      ...this.#common(this.#keys.merchant.serial),
      txnType: "01",
      txnSubType: "01",
      channelType: "08",
      orderId: req.paymentId,
      txnTime: w.formatCst(this.#opts.now(), "unionpay"),
      txnAmt: String(req.amount),
      backUrl: req.notifyUrl,
      orderDesc: req.description,
      // Echoed back untouched: lets a human trace a notify to its order.
      reqReserved: req.orderId,
    };
    const signature = w.rsaSign(this.#merchantKey, digest(fields));
    return { channel: "unionpay", fields: { ...fields, signature } };
  }

  acceptPayment(params: ClientPaymentParams): AcceptedPayment {
    if (params.channel !== "unionpay") fail("not unionpay params");
    const f = params.fields;
    if (!f.signature) throw new ChannelSignatureError("missing_signature", "unionpay: no signature");
    if (f.certId !== this.#keys.merchant.serial) {
      throw new ChannelSignatureError("unknown_key", `unionpay: unknown merchant certId ${f.certId}`);
    }
    if (!w.rsaVerify(this.#merchantPublic, digest(f), f.signature)) {
      throw new ChannelSignatureError("bad_signature", "unionpay: request signature does not verify");
    }
    const amount = w.parseFen(f.txnAmt ?? "");
    if (!amount || !f.orderId || !f.backUrl) fail("orderId, txnAmt or backUrl missing");
    return { paymentId: f.orderId, amount, notifyUrl: f.backUrl };
  }

  verifyCallback(input: { headers: Record<string, string>; body: string }): VerifiedCallback {
    const f = w.decodeForm(input.body);
    if (!f.signature || !f.certId) {
      throw new ChannelSignatureError("missing_signature", "unionpay: signature or certId missing");
    }
    if (f.signMethod !== "01") fail(`signMethod ${f.signMethod} is not 01 (RSA)`);
    if (f.certId !== this.#keys.platform.serial) {
      throw new ChannelSignatureError("unknown_key", `unionpay: unknown certId ${f.certId}`);
    }
    if (!w.rsaVerify(this.#platformPublic, digest(f), f.signature)) {
      throw new ChannelSignatureError("bad_signature", "unionpay: callback signature does not verify");
    }
    if (f.merId !== this.#opts.merId) fail(`callback for another merId ${f.merId}`);
    if (f.currencyCode !== "156") fail(`currencyCode ${f.currencyCode} is not CNY`);
    const amount = w.parseFen(f.txnAmt ?? "");
    const at = w.parseCst(f.txnTime ?? "");
    if (!amount || !at) fail("txnAmt or txnTime invalid");
    const ok = SUCCESS.has(f.respCode ?? "");
    const common = { amount, paidAt: at.toISOString(), raw: { ...f } };
    if (f.txnType === "01" && f.orderId && f.queryId) {
      return { ...common, paymentId: f.orderId, channelTxnId: f.queryId, status: ok ? "paid" : "failed" };
    }
    // A refund (04) has its own orderId and queryId; the payment is origQryId, ours in reqReserved.
    if (f.txnType === "04" && ok && f.reqReserved && f.origQryId) {
      return { ...common, paymentId: f.reqReserved, channelTxnId: f.origQryId, status: "refunded" };
    }
    fail(`unsupported txnType ${f.txnType} / respCode ${f.respCode}`);
  }

  simulateCallback(s: SimulatedPayment): { headers: Record<string, string>; body: string } {
    if (!this.#platformKey) throw new ChannelInputError("unionpay.platform.privateKey", "needed to simulate");
    w.assertId(s.paymentId, ORDER_ID, "paymentId");
    w.assertAmount(s.amount);
    const status = s.status ?? "paid";
    const at = s.at ?? this.#opts.now();
    const txnTime = w.formatCst(at, "unionpay");
    const paymentQueryId = s.channelTxnId ?? unionpayQueryId(s.paymentId);
    const refundId = s.refundId ?? `R${s.paymentId}`;
    if (status === "refunded") w.assertId(refundId, ORDER_ID, "refundId");
    const fields: Record<string, string> = {
      ...this.#common(this.#keys.platform.serial),
      txnTime,
      txnAmt: String(s.amount),
      settleAmt: String(s.amount),
      settleCurrencyCode: "156",
      settleDate: txnTime.slice(4, 8),
      traceNo: w.derivedDigits(`${paymentQueryId}:${status}`, 6),
      traceTime: txnTime.slice(4),
      respCode: status === "failed" ? "01" : "00",
      respMsg: status === "failed" ? "交易失败" : "成功[0000000]",
      ...(status === "refunded"
        ? {
            txnType: "04",
            txnSubType: "00",
            orderId: refundId,
            queryId: unionpayQueryId(refundId),
            origQryId: paymentQueryId,
            reqReserved: s.paymentId,
          }
        : { txnType: "01", txnSubType: "01", orderId: s.paymentId, queryId: paymentQueryId }),
    };
    const signature = w.rsaSign(this.#platformKey, digest(fields));
    return { headers: { ...FORM }, body: w.encodeForm({ ...fields, signature }) };
  }

  /** A refund is its own UnionPay transaction (txnType 04); `refundId` becomes its orderId. */
  refund(req: RefundRequest): RefundResult {
    w.assertRefund(req, { refundId: ORDER_ID, paymentId: ORDER_ID });
    return { refundTxnId: unionpayQueryId(req.refundId), status: "accepted" };
  }

  statement(date: string, payments: StatementEntry[]): string {
    return unionpayFile(date, payments, this.#opts);
  }

  parseStatement(text: string): StatementEntry[] {
    return parseUnionpayFile(text);
  }

  /** UnionPay retries the backUrl until it gets HTTP 200. */
  callbackReply(ok: boolean): CallbackReply {
    return ok
      ? { status: 200, headers: { "Content-Type": "text/plain" }, body: "ok" }
      : { status: 500, headers: { "Content-Type": "text/plain" }, body: "fail" };
  }
}
