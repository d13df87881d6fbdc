/**
 * UnionPay online gateway (ACP, `signMethod=01`). Callbacks are form posts; `signature` is base64 RSA
 * over the *hex digest* of the other fields sorted by key and joined `k=v&…` (UnionPay hashes first,
 * then signs the hex text). Two generations, as UnionPay's SDK verifies them:
 * - 5.1.0: SHA-256; the callback carries its signing certificate in `signPubKeyCert` (no `certId`),
 *   trusted only if it is issued by the configured middle certificate (itself issued by the root),
 *   currently valid, and owned by UnionPay (third `@` part of the CN, the SDK's `validateCNName`).
 * - 5.0.0: SHA-1; `certId` names a preinstalled platform key. Accepted only while no 5.1.0 chain is
 *   configured: once it is, a 5.0.0 callback is a downgrade (SHA-1 and a static key standing in for a
 *   certificate-checked SHA-256 signature) and is refused whatever its signature.
 * Amounts (`txnAmt`) are already fen.
 */
import { type KeyObject, X509Certificate } from "node:crypto";
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
import { UNIONPAY_CERT_OWNER, type UnionpayKeySet } from "./keys.ts";
import { parseUnionpayFile, unionpayFile } from "./statements.ts";
import * as w from "./wire.ts";

export interface UnionpayOptions {
  now: () => Date;
  /** 15-digit merchant number. */
  merId: string;
  /**
   * Owner names accepted in a 5.1.0 signing certificate's CN. UnionPay's SDK accepts only its legal
   * name in production (`ifValidateCNName=true`) and also `00040000:SIGN` in its test environment.
   */
  signCertOwners: readonly string[];
}

const defaults: UnionpayOptions = {
  now: () => new Date(),
  merId: "777290058110048",
  signCertOwners: [UNIONPAY_CERT_OWNER],
};

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

function digestSha1(fields: Record<string, string>): string {
  return w.sha1Hex(w.signingString(fields, ["signature"]));
}

/** The owner part of a UnionPay certificate's CN (`041@…@<owner>@…`), as the SDK reads it. */
function certOwner(cert: X509Certificate): string {
  const cn = cert.subject.split("\n").find((line) => line.startsWith("CN="));
  return cn?.slice(3).split("@")[2] ?? "";
}

function validAt(cert: X509Certificate, at: Date): boolean {
  const t = at.getTime();
  return Date.parse(cert.validFrom) <= t && t <= Date.parse(cert.validTo);
}

/** The root and middle certificates 5.1.0 signing certificates must chain to, checked once at wiring. */
interface TrustChain {
  root: X509Certificate;
  middle: X509Certificate;
}

function trustChain(keys: UnionpayKeySet): TrustChain | undefined {
  if (keys.rootCert === undefined && keys.middleCert === undefined) return undefined;
  let root: X509Certificate;
  let middle: X509Certificate;
  try {
    root = new X509Certificate(keys.rootCert ?? "");
    middle = new X509Certificate(keys.middleCert ?? "");
  } catch {
    throw new ChannelInputError("unionpay.rootCert", "rootCert and middleCert must both be PEM certificates");
  }
  const selfSigned = root.checkIssued(root) && root.verify(root.publicKey);
  if (!root.ca || !selfSigned || !middle.ca || !middle.checkIssued(root) || !middle.verify(root.publicKey)) {
    throw new ChannelInputError(
      "unionpay.middleCert",
      "middleCert is not a CA certificate issued by rootCert",
    );
  }
  return { root, middle };
}

/** Verified signing certificates by PEM text; the chain is checked once, dates on every use. */
interface TrustedCert {
  cert: X509Certificate;
  publicKey: KeyObject;
}
const TRUSTED_CERT_CACHE = 16;

/** The `queryId` UnionPay assigns: 21 digits, derived so duplicates of one event carry one id. */
export function unionpayQueryId(seed: string): string {
  return w.derivedDigits(`unionpay:${seed}`, 21);
}

export class UnionpayChannel implements PaymentChannel, ChannelSimulator {
  readonly name = "unionpay" as const;
  readonly #opts: UnionpayOptions;
  readonly #keys: UnionpayKeySet;
  readonly #merchantKey: KeyObject;
  readonly #merchantPublic: KeyObject;
  readonly #platformPublic: KeyObject;
  readonly #platformKey: KeyObject | undefined;
  readonly #trust: TrustChain | undefined;
  readonly #trustedCerts = new Map<string, TrustedCert>();

  constructor(keys: UnionpayKeySet, options: Partial<UnionpayOptions> = {}) {
    this.#opts = { ...defaults, ...options };
    this.#keys = keys;
    this.#merchantKey = w.privateKey(keys.merchant.privateKey, "unionpay.merchant.privateKey")!;
    this.#merchantPublic = w.publicKey(keys.merchant.publicKey, "unionpay.merchant.publicKey");
    this.#platformPublic = w.publicKey(keys.platform.publicKey, "unionpay.platform.publicKey");
    this.#platformKey = w.privateKey(keys.platform.privateKey, "unionpay.platform.privateKey");
    this.#trust = trustChain(keys);
  }

  #common(version = "5.1.0"): Record<string, string> {
    const common = { version, encoding: "UTF-8", signMethod: "01", bizType: "000201" };
    return { ...common, accessType: "0", merId: this.#opts.merId, currencyCode: "156" };
  }

  /**
   * The public key of a 5.1.0 `signPubKeyCert`, if UnionPay's SDK would trust it: an end-entity
   * certificate issued (name and signature) by the configured middle certificate, which the root
   * issued; every certificate in the chain valid now; owned by UnionPay.
   */
  #signingKey(pem: string): KeyObject {
    const untrusted = (why: string) =>
      new ChannelSignatureError("unknown_key", `unionpay: signPubKeyCert ${why}`);
    if (!this.#trust) throw untrusted("cannot be checked: no rootCert/middleCert configured");
    const { root, middle } = this.#trust;
    let trusted = this.#trustedCerts.get(pem);
    if (!trusted) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(pem);
      } catch {
        throw new ChannelSignatureError("malformed", "unionpay: signPubKeyCert is not an X.509 certificate");
      }
      if (cert.ca || !cert.checkIssued(middle) || !cert.verify(middle.publicKey)) {
        throw untrusted(
          `(${cert.subject.replace(/\n/g, ", ")}) is not issued by the configured middle certificate`,
        );
      }
      const owner = certOwner(cert);
      if (!this.#opts.signCertOwners.includes(owner))
        throw untrusted(`belongs to ${JSON.stringify(owner)}, not UnionPay`);
      trusted = { cert, publicKey: cert.publicKey };
      if (this.#trustedCerts.size >= TRUSTED_CERT_CACHE) {
        this.#trustedCerts.delete(this.#trustedCerts.keys().next().value as string);
      }
      this.#trustedCerts.set(pem, trusted);
    }
    const now = this.#opts.now();
    for (const [what, cert] of [
      ["", trusted.cert],
      ["'s middle certificate", middle],
      ["'s root certificate", root],
    ] as const) {
      if (!validAt(cert, now))
        throw untrusted(`${what} is outside its validity ${cert.validFrom} – ${cert.validTo}`);
    }
    return trusted.publicKey;
  }

  createPayment(req: PaymentRequest): ClientPaymentParams {
    return w.signNow(this.#createPayment(req));
  }

  createPaymentAsync(req: PaymentRequest): Promise<ClientPaymentParams> {
    return w.signOffThread(this.#createPayment(req));
  }

  *#createPayment(req: PaymentRequest): w.Signing<ClientPaymentParams> {
    w.assertId(req.paymentId, ORDER_ID, "paymentId");
    w.assertAmount(req.amount);
    if (!URL.canParse(req.notifyUrl)) throw new ChannelInputError("notifyUrl", "not a URL");
    const fields: Record<string, string> = {
      ...this.#common(),
      certId: this.#keys.merchant.serial,
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
    const signature = yield { key: this.#merchantKey, message: digest(fields) };
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
    // UnionPay never sends an empty field, and its SDK drops any that arrive empty before verifying.
    const f = Object.fromEntries(Object.entries(w.decodeForm(input.body)).filter(([, v]) => v !== ""));
    if (!f.signature) throw new ChannelSignatureError("missing_signature", "unionpay: no signature");
    if (f.signMethod !== "01") fail(`signMethod ${f.signMethod} is not 01 (RSA)`);
    if (f.version === "5.1.0") {
      if (!f.signPubKeyCert) {
        throw new ChannelSignatureError(
          "missing_signature",
          "unionpay: 5.1.0 callback without signPubKeyCert",
        );
      }
      if (!w.rsaVerify(this.#signingKey(f.signPubKeyCert), digest(f), f.signature)) {
        throw new ChannelSignatureError("bad_signature", "unionpay: callback signature does not verify");
      }
    } else if (f.version === "5.0.0") {
      if (this.#trust) {
        throw new ChannelSignatureError(
          "downgrade",
          "unionpay: 5.0.0 (SHA-1) callback refused: the 5.1.0 (SHA-256) certificate chain is configured",
        );
      }
      if (!f.certId)
        throw new ChannelSignatureError("missing_signature", "unionpay: 5.0.0 callback without certId");
      if (f.certId !== this.#keys.platform.serial) {
        throw new ChannelSignatureError("unknown_key", `unionpay: unknown certId ${f.certId}`);
      }
      if (!w.rsaVerify(this.#platformPublic, digestSha1(f), f.signature, "sha1")) {
        throw new ChannelSignatureError("bad_signature", "unionpay: callback signature does not verify");
      }
    } else {
      fail(`version ${f.version} is neither 5.1.0 nor 5.0.0`);
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

  simulateCallback(s: SimulatedPayment): SimulatedCallback {
    return w.signNow(this.#simulateCallback(s));
  }

  simulateCallbackAsync(s: SimulatedPayment): Promise<SimulatedCallback> {
    return w.signOffThread(this.#simulateCallback(s));
  }

  *#simulateCallback(s: SimulatedPayment): w.Signing<SimulatedCallback> {
    if (!this.#platformKey) throw new ChannelInputError("unionpay.platform.privateKey", "needed to simulate");
    w.assertId(s.paymentId, ORDER_ID, "paymentId");
    w.assertAmount(s.amount);
    const status = s.status ?? "paid";
    const at = s.at ?? this.#opts.now();
    const txnTime = w.formatCst(at, "unionpay");
    const paymentQueryId = s.channelTxnId ?? unionpayQueryId(s.paymentId);
    const refundId = s.refundId ?? `R${s.paymentId}`;
    if (status === "refunded") w.assertId(refundId, ORDER_ID, "refundId");
    // 5.1.0 as UnionPay sends it (its signing certificate inline); 5.0.0 (certId, SHA-1) for a key set
    // that has no certificate.
    const certificate = this.#keys.platform.certificate;
    const fields: Record<string, string> = {
      ...(certificate
        ? { ...this.#common("5.1.0"), signPubKeyCert: certificate }
        : { ...this.#common("5.0.0"), certId: this.#keys.platform.serial }),
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
    const signature = yield certificate
      ? { key: this.#platformKey, message: digest(fields) }
      : { key: this.#platformKey, message: digestSha1(fields), hash: "sha1" };
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
