/**
 * The `resource` inside a WeChat Pay v3 callback: AES-256-GCM with the APIv3 key, the 12-character
 * `nonce` as IV, `associated_data` as AAD and the 16-byte tag appended to `ciphertext`, as WeChat
 * sends it; plus the mapping between decrypted transaction/refund resources and our outcomes.
 */
import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { type CallbackStatus, ChannelSignatureError, type VerifiedCallback } from "./channel.ts";
import * as w from "./wire.ts";

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export function text(obj: Json, key: string): string {
  const v = obj[key];
  if (typeof v !== "string" || v === "") throw new ChannelSignatureError("malformed", `wechat: no ${key}`);
  return v;
}

function fen(obj: unknown, key: string): number {
  const v = isObject(obj) ? obj[key] : undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) {
    throw new ChannelSignatureError("malformed", `wechat: amount.${key} is not a positive fen integer`);
  }
  return v;
}

function isoOf(rfc3339: string): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) throw new ChannelSignatureError("malformed", `wechat: bad time ${rfc3339}`);
  return new Date(ms).toISOString();
}

export function encryptResource(key: Buffer, kind: string, plaintext: Json): Json {
  const nonce = randomBytes(9).toString("base64url"); // 12 characters
  const cipher = createCipheriv("aes-256-gcm", key, Buffer.from(nonce, "utf8"));
  cipher.setAAD(Buffer.from(kind, "utf8"));
  const sealed = [cipher.update(JSON.stringify(plaintext), "utf8"), cipher.final(), cipher.getAuthTag()];
  return {
    original_type: kind,
    algorithm: "AEAD_AES_256_GCM",
    ciphertext: Buffer.concat(sealed).toString("base64"),
    associated_data: kind,
    nonce,
  };
}

export function decryptResource(key: Buffer, resource: Json): Json {
  try {
    if (resource.algorithm !== "AEAD_AES_256_GCM") throw new Error("algorithm");
    const data = Buffer.from(text(resource, "ciphertext"), "base64");
    if (data.length <= 16) throw new Error("short");
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(text(resource, "nonce"), "utf8"));
    decipher.setAAD(Buffer.from(String(resource.associated_data ?? ""), "utf8"));
    decipher.setAuthTag(data.subarray(data.length - 16));
    const plain = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
    const parsed: unknown = JSON.parse(plain.toString("utf8"));
    if (!isObject(parsed)) throw new Error("shape");
    return parsed;
  } catch {
    // Reached only after the signature verified: a wrong APIv3 key, not an attacker.
    throw new ChannelSignatureError("malformed", "wechat: resource does not decrypt (APIv3 key?)");
  }
}

const FAILED_STATES = new Set(["PAYERROR", "CLOSED", "REVOKED"]);

/** Maps a verified envelope and its decrypted resource to our outcome. */
export function readEvent(envelope: Json, r: Json, mchId: string): Omit<VerifiedCallback, "raw"> {
  const eventType = text(envelope, "event_type");
  if (r.mchid !== mchId) throw new ChannelSignatureError("malformed", "wechat: callback for another mchid");
  const ids = { paymentId: text(r, "out_trade_no"), channelTxnId: text(r, "transaction_id") };
  if (eventType === "REFUND.SUCCESS" && r.refund_status === "SUCCESS") {
    const paidAt = isoOf(text(r, "success_time"));
    return { ...ids, amount: fen(r.amount, "refund"), status: "refunded", paidAt };
  }
  if (!eventType.startsWith("TRANSACTION.")) {
    throw new ChannelSignatureError("malformed", `wechat: unsupported event ${eventType}`);
  }
  if (isObject(r.amount) && r.amount.currency !== undefined && r.amount.currency !== "CNY") {
    throw new ChannelSignatureError("malformed", "wechat: currency is not CNY");
  }
  const state = text(r, "trade_state");
  const status: CallbackStatus | undefined =
    state === "SUCCESS" ? "paid" : FAILED_STATES.has(state) ? "failed" : undefined;
  if (!status) throw new ChannelSignatureError("malformed", `wechat: unsupported trade_state ${state}`);
  const paidAt = isoOf(status === "paid" ? text(r, "success_time") : text(envelope, "create_time"));
  return { ...ids, amount: fen(r.amount, "total"), status, paidAt };
}

export interface SimulatedEvent {
  kind: "transaction" | "refund";
  eventType: string;
  summary: string;
  resource: Json;
}

/** The plaintext resource WeChat would send for this outcome (`at` in RFC 3339 China time). */
export function simulatedEvent(
  p: { paymentId: string; amount: number; status: CallbackStatus; channelTxnId?: string; refundId?: string },
  at: string,
  ids: { appId: string; mchId: string },
): SimulatedEvent {
  const common = {
    mchid: ids.mchId,
    out_trade_no: p.paymentId,
    transaction_id: p.channelTxnId ?? `42000${w.derivedDigits(`wechat:${p.paymentId}`, 23)}`,
  };
  if (p.status === "refunded") {
    const refundId = p.refundId ?? `R${p.paymentId}`;
    const resource = {
      ...common,
      out_refund_no: refundId,
      refund_id: wechatRefundId(refundId),
      refund_status: "SUCCESS",
      success_time: at,
      user_received_account: "支付用户零钱",
      amount: { total: p.amount, refund: p.amount, payer_total: p.amount, payer_refund: p.amount },
    };
    return { kind: "refund", eventType: "REFUND.SUCCESS", summary: "退款成功", resource };
  }
  const paid = p.status === "paid";
  const resource = {
    ...common,
    appid: ids.appId,
    trade_type: "JSAPI",
    // WeChat notifies only successes; PAYERROR (what a query returns) lets tests drive the failed path.
    trade_state: paid ? "SUCCESS" : "PAYERROR",
    trade_state_desc: paid ? "支付成功" : "支付失败",
    bank_type: "OTHERS",
    ...(paid ? { success_time: at } : {}),
    payer: { openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
    amount: { total: p.amount, payer_total: p.amount, currency: "CNY", payer_currency: "CNY" },
  };
  const eventType = paid ? "TRANSACTION.SUCCESS" : "TRANSACTION.PAYERROR";
  return { kind: "transaction", eventType, summary: paid ? "支付成功" : "支付失败", resource };
}

/** 29 digits like WeChat's `refund_id`; derived, so one `out_refund_no` always maps to one id. */
export function wechatRefundId(refundId: string): string {
  return `50000${w.derivedDigits(`wechat:${refundId}`, 24)}`;
}
