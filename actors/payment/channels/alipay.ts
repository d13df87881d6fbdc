/**
 * Alipay, RSA2 (SHA256withRSA) public-key mode. Callbacks are form posts; `sign` is base64 RSA-SHA256
 * over every other param sorted by key, without `sign` and `sign_type`, joined `k=v&…` with decoded
 * values, empty ones included (`getSignCheckContentV1` in Alipay's SDKs). Requests are signed over the
 * non-empty params and keep `sign_type` in the string, as Alipay specifies.
 * Amounts travel as yuan strings ("12.34") and are converted to fen by parsing, never by float math.
 */
import { type KeyObject, randomBytes } from "node:crypto";
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
  type SimulatedCallback,
  type SimulatedPayment,
  type StatementEntry,
  type VerifiedCallback,
} from "./channel.ts";
import type { ChannelKeySet } from "./keys.ts";
import { alipayBill, parseAlipayBill } from "./statements.ts";
import * as w from "./wire.ts";

export interface AlipayOptions {
  now: () => Date;
  appId: string;
  /** The merchant's Alipay account (PID), echoed as `seller_id`. */
  sellerId: string;
}

const defaults: AlipayOptions = {
  now: () => new Date(),
  appId: "2021000000000001",
  sellerId: "2088000000000001",
};

/** `out_trade_no` / `out_request_no`: up to 64 letters, digits and underscores. */
const OUT_TRADE_NO = /^[0-9A-Za-z_]{1,64}$/;
const FORM = { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" };

function fail(message: string): never {
  throw new ChannelSignatureError("malformed", `alipay: ${message}`);
}

function yuan(params: Record<string, string>, key: string): number {
  const fen = w.yuanToFen(params[key] ?? "");
  if (!fen) fail(`${key} ${JSON.stringify(params[key])} is not a positive yuan amount`);
  return fen;
}

function time(params: Record<string, string>, key: string): string {
  const at = w.parseCst(params[key] ?? "");
  if (!at) fail(`${key} ${JSON.stringify(params[key])} is not a time`);
  return at.toISOString();
}

/** What a notify's `sign` covers: everything but `sign` and `sign_type`, empty values kept. */
function notifyContent(params: Record<string, string>): string {
  return w.signingString(params, ["sign", "sign_type"], { keepEmpty: true });
}

export class AlipayChannel implements PaymentChannel, ChannelSimulator {
  readonly name = "alipay" as const;
  readonly #opts: AlipayOptions;
  readonly #merchantKey: KeyObject;
  readonly #merchantPublic: KeyObject;
  readonly #platformPublic: KeyObject;
  readonly #platformKey: KeyObject | undefined;

  constructor(keys: ChannelKeySet, options: Partial<AlipayOptions> = {}) {
    this.#opts = { ...defaults, ...options };
    this.#merchantKey = w.privateKey(keys.merchant.privateKey, "alipay.merchant.privateKey")!;
    this.#merchantPublic = w.publicKey(keys.merchant.publicKey, "alipay.merchant.publicKey");
    this.#platformPublic = w.publicKey(keys.platform.publicKey, "alipay.platform.publicKey");
    this.#platformKey = w.privateKey(keys.platform.privateKey, "alipay.platform.privateKey");
  }

  createPayment(req: PaymentRequest): ClientPaymentParams {
    return w.signNow(this.#createPayment(req));
  }

  createPaymentAsync(req: PaymentRequest): Promise<ClientPaymentParams> {
    return w.signOffThread(this.#createPayment(req));
  }

  *#createPayment(req: PaymentRequest): w.Signing<ClientPaymentParams> {
    w.assertId(req.paymentId, OUT_TRADE_NO, "paymentId");
    w.assertAmount(req.amount);
    if (req.description.length < 1 || req.description.length > 256) {
      throw new ChannelInputError("description", "alipay subjects are 1–256 characters");
    }
    if (!URL.canParse(req.notifyUrl)) throw new ChannelInputError("notifyUrl", "not a URL");
    const bizContent = {
      out_trade_no: req.paymentId,
      total_amount: w.fenToYuan(req.amount),
      subject: req.description,
      product_code: "QUICK_MSECURITY_PAY",
      // Echoed back untouched in the callback: lets a human trace a notify to its order.
      passback_params: encodeURIComponent(req.orderId),
    };
    const params: Record<string, string> = {
      app_id: this.#opts.appId,
      method: "alipay.trade.app.pay",
      format: "JSON",
      charset: "utf-8",
      sign_type: "RSA2",
      timestamp: w.formatCst(this.#opts.now(), "alipay"),
      version: "1.0",
      notify_url: req.notifyUrl,
      biz_content: JSON.stringify(bizContent),
    };
    const sign = yield { key: this.#merchantKey, message: w.signingString(params, ["sign"]) };
    return { channel: "alipay", orderString: w.encodeForm({ ...params, sign }) };
  }

  acceptPayment(params: ClientPaymentParams): AcceptedPayment {
    if (params.channel !== "alipay") fail("not alipay params");
    const p = w.decodeForm(params.orderString);
    if (!p.sign) throw new ChannelSignatureError("missing_signature", "alipay: order string has no sign");
    if (!w.rsaVerify(this.#merchantPublic, w.signingString(p, ["sign"]), p.sign)) {
      throw new ChannelSignatureError("bad_signature", "alipay: order string sign does not verify");
    }
    if (p.app_id !== this.#opts.appId) fail("order for another app_id");
    let biz: Record<string, string>;
    try {
      biz = JSON.parse(p.biz_content ?? "");
    } catch {
      fail("biz_content is not JSON");
    }
    return {
      paymentId: biz.out_trade_no ?? "",
      amount: yuan(biz, "total_amount"),
      notifyUrl: p.notify_url ?? "",
    };
  }

  verifyCallback(input: { headers: Record<string, string>; body: string }): VerifiedCallback {
    const p = w.decodeForm(input.body);
    if (!p.sign) throw new ChannelSignatureError("missing_signature", "alipay: callback has no sign");
    // RSA (SHA-1) is deprecated and this merchant is configured for RSA2 only.
    if (p.sign_type !== "RSA2") fail(`sign_type ${p.sign_type} is not RSA2`);
    if (!w.rsaVerify(this.#platformPublic, notifyContent(p), p.sign)) {
      throw new ChannelSignatureError("bad_signature", "alipay: callback sign does not verify");
    }
    // Alipay's own guidance: a validly signed notify for another app is still not ours.
    if (p.app_id !== this.#opts.appId) fail(`callback for another app_id ${p.app_id}`);
    if (!p.out_trade_no || !p.trade_no) fail("out_trade_no or trade_no missing");
    const ids = { paymentId: p.out_trade_no, channelTxnId: p.trade_no, raw: { ...p } };
    // A refund keeps TRADE_SUCCESS (partial) or moves to TRADE_CLOSED (full); refund_fee marks both.
    // It is the payment's cumulative refunded total, not this refund's share.
    if (p.refund_fee && p.refund_fee !== "0.00") {
      return { ...ids, amount: yuan(p, "refund_fee"), status: "refunded", paidAt: time(p, "gmt_refund") };
    }
    // TRADE_FINISHED follows TRADE_SUCCESS once refunds are no longer possible: a duplicate "paid".
    if (p.trade_status === "TRADE_SUCCESS" || p.trade_status === "TRADE_FINISHED") {
      return { ...ids, amount: yuan(p, "total_amount"), status: "paid", paidAt: time(p, "gmt_payment") };
    }
    if (p.trade_status === "TRADE_CLOSED") {
      const closedAt = time(p, p.gmt_close ? "gmt_close" : "notify_time");
      return { ...ids, amount: yuan(p, "total_amount"), status: "failed", paidAt: closedAt };
    }
    fail(`unsupported trade_status ${p.trade_status}`);
  }

  simulateCallback(s: SimulatedPayment): SimulatedCallback {
    return w.signNow(this.#simulateCallback(s));
  }

  simulateCallbackAsync(s: SimulatedPayment): Promise<SimulatedCallback> {
    return w.signOffThread(this.#simulateCallback(s));
  }

  *#simulateCallback(s: SimulatedPayment): w.Signing<SimulatedCallback> {
    if (!this.#platformKey) throw new ChannelInputError("alipay.platform.privateKey", "needed to simulate");
    w.assertId(s.paymentId, OUT_TRADE_NO, "paymentId");
    w.assertAmount(s.amount);
    const status = s.status ?? "paid";
    const now = this.#opts.now();
    const at = w.formatCst(s.at ?? now, "alipay");
    const amount = w.fenToYuan(s.amount);
    const params: Record<string, string> = {
      notify_time: w.formatCst(now, "alipay"),
      notify_type: "trade_status_sync",
      notify_id: randomBytes(16).toString("hex"),
      app_id: this.#opts.appId,
      charset: "utf-8",
      version: "1.0",
      sign_type: "RSA2",
      trade_no: s.channelTxnId ?? w.derivedDigits(`alipay:${s.paymentId}`, 28),
      out_trade_no: s.paymentId,
      buyer_id: "2088102177846875",
      seller_id: this.#opts.sellerId,
      trade_status: status === "paid" ? "TRADE_SUCCESS" : "TRADE_CLOSED",
      total_amount: amount,
      gmt_create: at,
    };
    if (status === "paid")
      Object.assign(params, { receipt_amount: amount, buyer_pay_amount: amount, gmt_payment: at });
    if (status === "failed") params.gmt_close = at;
    if (status === "refunded") {
      const refundId = s.refundId ?? `R${s.paymentId}`;
      Object.assign(params, {
        refund_fee: amount,
        gmt_refund: `${at}.000`,
        out_biz_no: refundId,
        gmt_payment: at,
      });
    }
    const sign = yield { key: this.#platformKey, message: notifyContent(params) };
    return { headers: { ...FORM }, body: w.encodeForm({ ...params, sign }) };
  }

  /** Alipay names a refund by `out_request_no` only; the id here is a stand-in derived from it. */
  refund(req: RefundRequest): RefundResult {
    w.assertRefund(req, { refundId: OUT_TRADE_NO, paymentId: OUT_TRADE_NO });
    return { refundTxnId: w.derivedDigits(`alipay:refund:${req.refundId}`, 28), status: "accepted" };
  }

  statement(date: string, payments: StatementEntry[]): string {
    return alipayBill(date, payments, this.#opts);
  }

  parseStatement(text: string): StatementEntry[] {
    return parseAlipayBill(text);
  }

  /** Alipay retries (up to 8 times over 25 h) until the body is exactly `success`. */
  callbackReply(ok: boolean): CallbackReply {
    return { status: 200, headers: { "Content-Type": "text/plain" }, body: ok ? "success" : "fail" };
  }
}
