/**
 * WeChat Pay API v3. Callbacks are JSON signed in headers: `Wechatpay-Signature` is base64
 * RSA-SHA256 over `${timestamp}\n${nonce}\n${body}\n` with the platform key named by
 * `Wechatpay-Serial` (WeChat lists several platform certificates while it rotates them, and signs with
 * any of them, so every listed one is accepted by its serial); the `resource` inside is AES-256-GCM-encrypted with the merchant's APIv3 key,
 * exactly as the real channel does. Client params are the JSAPI `wx.requestPayment` fields.
 */
import { Buffer } from "node:buffer";
import { type KeyObject, randomBytes, randomUUID } from "node:crypto";
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
import type { ChannelKeys } from "./keys.ts";
import { parseWechatBill, wechatBill } from "./statements.ts";
import {
  decryptResource,
  encryptResource,
  isObject,
  readEvent,
  simulatedEvent,
  wechatRefundId,
} from "./wechat-resource.ts";
import * as w from "./wire.ts";

export interface WechatOptions {
  now: () => Date;
  appId: string;
  mchId: string;
  /** Callbacks whose `Wechatpay-Timestamp` is further than this from now are replays. WeChat: 5 min. */
  maxCallbackAgeMs: number;
}

const defaults: WechatOptions = {
  now: () => new Date(),
  appId: "wx8888888888888888",
  mchId: "1900000109",
  maxCallbackAgeMs: 5 * 60_000,
};

/** `out_trade_no`: 6–32 of these characters. */
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
/** `out_refund_no`: up to 64 of these characters. */
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
export class WechatChannel implements PaymentChannel, ChannelSimulator {
  readonly name = "wechat" as const;
  readonly #opts: WechatOptions;
  readonly #merchantKey: KeyObject;
  readonly #merchantPublic: KeyObject;
  /** Platform public keys by certificate serial: the current one and any still listed during a rotation. */
  readonly #platformKeys = new Map<string, KeyObject>();
  readonly #platformKey: KeyObject | undefined;
  readonly #platformSerial: string;
  readonly #apiV3Key: Buffer;

  constructor(keys: ChannelKeys["wechat"], options: Partial<WechatOptions> = {}) {
    this.#opts = { ...defaults, ...options };
    this.#merchantKey = w.privateKey(keys.merchant.privateKey, "wechat.merchant.privateKey")!;
    this.#merchantPublic = w.publicKey(keys.merchant.publicKey, "wechat.merchant.publicKey");
    for (const [i, platform] of [keys.platform, ...(keys.acceptedPlatforms ?? [])].entries()) {
      const field = i === 0 ? "wechat.platform" : `wechat.acceptedPlatforms[${i - 1}]`;
      this.#platformKeys.set(platform.serial, w.publicKey(platform.publicKey, `${field}.publicKey`));
    }
    this.#platformKey = w.privateKey(keys.platform.privateKey, "wechat.platform.privateKey");
    this.#platformSerial = keys.platform.serial;
    this.#apiV3Key = Buffer.from(keys.apiV3Key, "utf8");
    if (this.#apiV3Key.length !== 32) throw new ChannelInputError("wechat.apiV3Key", "must be 32 bytes");
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
    if (req.description.length < 1 || req.description.length > 127) {
      throw new ChannelInputError("description", "wechat descriptions are 1–127 characters");
    }
    if (!URL.canParse(req.notifyUrl)) throw new ChannelInputError("notifyUrl", "not a URL");
    // A real adapter gets prepay_id from a signed POST /v3/pay/transactions/jsapi. Locally the order
    // rides inside the id, so the simulated channel needs no state; paySign covers it against edits.
    const order = { p: req.paymentId, a: req.amount, n: req.notifyUrl, o: req.orderId };
    const pkg = `prepay_id=wx${Buffer.from(JSON.stringify(order)).toString("base64url")}`;
    const timeStamp = String(Math.floor(this.#opts.now().getTime() / 1000));
    const nonceStr = randomBytes(16).toString("hex");
    const message = `${this.#opts.appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`;
    const paySign = yield { key: this.#merchantKey, message };
    return {
      channel: "wechat",
      appId: this.#opts.appId,
      timeStamp,
      nonceStr,
      package: pkg,
      signType: "RSA",
      paySign,
    };
  }

  acceptPayment(params: ClientPaymentParams): AcceptedPayment {
    if (params.channel !== "wechat") throw new ChannelSignatureError("malformed", "not wechat params");
    const message = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
    if (!w.rsaVerify(this.#merchantPublic, message, params.paySign)) {
      throw new ChannelSignatureError("bad_signature", "wechat: paySign does not verify");
    }
    const prefix = "prepay_id=wx";
    let order: unknown;
    try {
      if (!params.package.startsWith(prefix)) throw new Error("prefix");
      order = JSON.parse(Buffer.from(params.package.slice(prefix.length), "base64url").toString("utf8"));
    } catch {
      order = undefined;
    }
    if (
      !isObject(order) ||
      typeof order.p !== "string" ||
      typeof order.a !== "number" ||
      typeof order.n !== "string"
    ) {
      throw new ChannelSignatureError("malformed", "wechat: unknown prepay_id");
    }
    return { paymentId: order.p, amount: order.a, notifyUrl: order.n };
  }

  verifyCallback(input: { headers: Record<string, string>; body: string }): VerifiedCallback {
    const h = w.lowerCaseHeaders(input.headers);
    const signature = h["wechatpay-signature"];
    const timestamp = h["wechatpay-timestamp"];
    const nonce = h["wechatpay-nonce"];
    const serial = h["wechatpay-serial"];
    if (!signature || !timestamp || !nonce || !serial) {
      throw new ChannelSignatureError("missing_signature", "wechat: Wechatpay-* signature headers missing");
    }
    const platformPublic = this.#platformKeys.get(serial);
    if (!platformPublic) {
      throw new ChannelSignatureError("unknown_key", `wechat: unknown platform serial ${serial}`);
    }
    if (!/^\d{1,12}$/.test(timestamp)) throw new ChannelSignatureError("malformed", "wechat: bad timestamp");
    // A valid signature may be replayed forever; the timestamp is signed, so freshness bounds replay.
    const skew = Math.abs(this.#opts.now().getTime() - Number(timestamp) * 1000);
    if (skew > this.#opts.maxCallbackAgeMs) {
      throw new ChannelSignatureError("stale", `wechat: callback timestamp ${timestamp} is ${skew} ms off`);
    }
    if (!w.rsaVerify(platformPublic, `${timestamp}\n${nonce}\n${input.body}\n`, signature)) {
      throw new ChannelSignatureError("bad_signature", "wechat: Wechatpay-Signature does not verify");
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(input.body);
    } catch {
      throw new ChannelSignatureError("malformed", "wechat: body is not JSON");
    }
    if (!isObject(envelope) || !isObject(envelope.resource)) {
      throw new ChannelSignatureError("malformed", "wechat: no resource");
    }
    const resource = decryptResource(this.#apiV3Key, envelope.resource);
    return { ...readEvent(envelope, resource, this.#opts.mchId), raw: { ...envelope, resource } };
  }

  simulateCallback(p: SimulatedPayment): SimulatedCallback {
    return w.signNow(this.#simulateCallback(p));
  }

  simulateCallbackAsync(p: SimulatedPayment): Promise<SimulatedCallback> {
    return w.signOffThread(this.#simulateCallback(p));
  }

  *#simulateCallback(p: SimulatedPayment): w.Signing<SimulatedCallback> {
    if (!this.#platformKey) throw new ChannelInputError("wechat.platform.privateKey", "needed to simulate");
    w.assertId(p.paymentId, OUT_TRADE_NO, "paymentId");
    w.assertAmount(p.amount);
    const status = p.status ?? "paid";
    const now = this.#opts.now();
    const at = w.formatCst(p.at ?? now, "rfc3339");
    const event = simulatedEvent({ ...p, status }, at, this.#opts);
    const envelope = {
      id: randomUUID(),
      create_time: at,
      resource_type: "encrypt-resource",
      event_type: event.eventType,
      summary: event.summary,
      resource: encryptResource(this.#apiV3Key, event.kind, event.resource),
    };
    const body = JSON.stringify(envelope);
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const nonce = randomBytes(16).toString("hex").toUpperCase();
    const signature = yield { key: this.#platformKey, message: `${timestamp}\n${nonce}\n${body}\n` };
    const headers = {
      "Content-Type": "application/json",
      "Wechatpay-Timestamp": timestamp,
      "Wechatpay-Nonce": nonce,
      "Wechatpay-Serial": this.#platformSerial,
      "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
      "Wechatpay-Signature": signature,
    };
    return { headers, body };
  }

  refund(req: RefundRequest): RefundResult {
    w.assertRefund(req, { refundId: OUT_REFUND_NO, paymentId: OUT_TRADE_NO });
    return { refundTxnId: wechatRefundId(req.refundId), status: "accepted" };
  }

  statement(date: string, payments: StatementEntry[]): string {
    return wechatBill(date, payments, this.#opts);
  }

  parseStatement(text: string): StatementEntry[] {
    return parseWechatBill(text);
  }

  callbackReply(ok: boolean): CallbackReply {
    if (ok) return { status: 204, headers: {}, body: "" };
    const body = JSON.stringify({ code: "FAIL", message: "失败" });
    return { status: 500, headers: { "Content-Type": "application/json" }, body };
  }
}
