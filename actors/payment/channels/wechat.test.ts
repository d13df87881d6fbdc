import { describe, expect, test } from "bun:test";
import { Buffer } from "node:buffer";
import { createDecipheriv, verify } from "node:crypto";
import { ChannelSignatureError, generateChannelKeys, type SignatureFailure, WechatChannel } from "./index.ts";

const keys = await generateChannelKeys();
const clock = { now: new Date("2024-05-01T02:03:04Z") };
const wechat = new WechatChannel(keys.wechat, { now: () => clock.now });
const payment = { paymentId: "PAY20240501A1", amount: 1999 };

function reason(fn: () => unknown): SignatureFailure | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChannelSignatureError) return err.reason;
    throw err;
  }
  return undefined;
}

/** Runs `fn` with the shared clock moved by `ms`, then puts it back. */
function later<T>(ms: number, fn: () => T): T {
  const saved = clock.now;
  clock.now = new Date(saved.getTime() + ms);
  try {
    return fn();
  } finally {
    clock.now = saved;
  }
}

describe("payments - wechat", () => {
  test("payments - wechat callback older than five minutes is rejected as stale", () => {
    const cb = wechat.simulateCallback(payment);
    expect(later(5 * 60_000, () => wechat.verifyCallback(cb)).amount).toBe(1999);
    expect(reason(() => later(5 * 60_000 + 1000, () => wechat.verifyCallback(cb)))).toBe("stale");
    // A timestamp from the future is as suspicious as an old one.
    expect(reason(() => later(-6 * 60_000, () => wechat.verifyCallback(cb)))).toBe("stale");
  });

  test("payments - wechat replay window is configurable", () => {
    const strict = new WechatChannel(keys.wechat, { now: () => clock.now, maxCallbackAgeMs: 1000 });
    const cb = wechat.simulateCallback(payment);
    expect(reason(() => later(2000, () => strict.verifyCallback(cb)))).toBe("stale");
  });

  test("payments - wechat signature is RSA-SHA256 over timestamp, nonce and body, each line-terminated", () => {
    const { headers, body } = wechat.simulateCallback(payment);
    const message = `${headers["Wechatpay-Timestamp"]}\n${headers["Wechatpay-Nonce"]}\n${body}\n`;
    const signature = Buffer.from(headers["Wechatpay-Signature"] ?? "", "base64");
    expect(verify("sha256", Buffer.from(message), keys.wechat.platform.publicKey, signature)).toBe(true);
    expect(headers["Wechatpay-Serial"]).toBe(keys.wechat.platform.serial);
    expect(headers["Wechatpay-Timestamp"]).toBe(String(clock.now.getTime() / 1000));
  });

  test("payments - wechat resource is AES-256-GCM-encrypted with the APIv3 key", () => {
    const { body } = wechat.simulateCallback(payment);
    expect(body).not.toContain(payment.paymentId);
    const { resource } = JSON.parse(body);
    expect(resource).toMatchObject({ algorithm: "AEAD_AES_256_GCM", associated_data: "transaction" });
    const data = Buffer.from(resource.ciphertext, "base64");
    const decipher = createDecipheriv(
      "aes-256-gcm",
      Buffer.from(keys.wechat.apiV3Key),
      Buffer.from(resource.nonce),
    );
    decipher.setAAD(Buffer.from(resource.associated_data));
    decipher.setAuthTag(data.subarray(-16));
    const plain = JSON.parse(
      Buffer.concat([decipher.update(data.subarray(0, -16)), decipher.final()]).toString(),
    );
    expect(plain).toMatchObject({
      out_trade_no: payment.paymentId,
      trade_state: "SUCCESS",
      amount: { total: 1999, currency: "CNY" },
    });
    expect(plain.transaction_id).toMatch(/^\d{28}$/);
  });

  test("payments - wechat callback body carries the v3 envelope fields", () => {
    const at = new Date("2024-05-01T02:00:00Z");
    const cb = wechat.simulateCallback({ ...payment, at });
    const envelope = JSON.parse(cb.body);
    expect(envelope).toMatchObject({ event_type: "TRANSACTION.SUCCESS", resource_type: "encrypt-resource" });
    expect(envelope.id).toMatch(/^[0-9a-f-]{36}$/);
    const verified = wechat.verifyCallback(cb);
    expect(verified.raw).toMatchObject({ resource: { success_time: "2024-05-01T10:00:00+08:00" } });
  });

  test("payments - wechat headers are matched case-insensitively", () => {
    const cb = wechat.simulateCallback(payment);
    const lower = Object.fromEntries(Object.entries(cb.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(wechat.verifyCallback({ headers: lower, body: cb.body }).paymentId).toBe(payment.paymentId);
  });

  test("payments - wechat callback from an unknown platform serial is rejected", () => {
    const cb = wechat.simulateCallback(payment);
    const headers = { ...cb.headers, "Wechatpay-Serial": "0".repeat(40) };
    expect(reason(() => wechat.verifyCallback({ headers, body: cb.body }))).toBe("unknown_key");
  });

  test("payments - wechat accepts callbacks signed by any listed platform certificate (rotation), chosen by serial", async () => {
    // WeChat lists the old and the new platform certificate during a rotation and may sign with either.
    const next = (await generateChannelKeys()).wechat.platform;
    const { platform: current } = keys.wechat;
    const merchant = new WechatChannel(
      { ...keys.wechat, acceptedPlatforms: [{ serial: next.serial, publicKey: next.publicKey }] },
      { now: () => clock.now },
    );
    const signedByNew = new WechatChannel({ ...keys.wechat, platform: next }, { now: () => clock.now });
    const byCurrent = wechat.simulateCallback(payment);
    const byNext = signedByNew.simulateCallback(payment);
    expect(byNext.headers["Wechatpay-Serial"]).toBe(next.serial);
    expect(merchant.verifyCallback(byCurrent).amount).toBe(1999);
    expect(merchant.verifyCallback(byNext).amount).toBe(1999);
    // A merchant that only knows the current certificate does not know the new serial.
    expect(reason(() => wechat.verifyCallback(byNext))).toBe("unknown_key");
    // The serial picks the key: a signature by one certificate under the other's serial fails.
    const swapped = { ...byNext.headers, "Wechatpay-Serial": current.serial };
    expect(reason(() => merchant.verifyCallback({ headers: swapped, body: byNext.body }))).toBe(
      "bad_signature",
    );
  });

  test("payments - wechat signature with junk characters appended is rejected", () => {
    const cb = wechat.simulateCallback(payment);
    const headers = { ...cb.headers, "Wechatpay-Signature": `${cb.headers["Wechatpay-Signature"]}!!` };
    expect(reason(() => wechat.verifyCallback({ headers, body: cb.body }))).toBe("bad_signature");
  });

  test("payments - wechat resource under a different APIv3 key does not decrypt", () => {
    const other = new WechatChannel({ ...keys.wechat, apiV3Key: "x".repeat(32) }, { now: () => clock.now });
    expect(reason(() => wechat.verifyCallback(other.simulateCallback(payment)))).toBe("malformed");
  });

  test("payments - wechat callback for another merchant id is rejected", () => {
    const other = new WechatChannel(keys.wechat, { now: () => clock.now, mchId: "1900000999" });
    expect(reason(() => wechat.verifyCallback(other.simulateCallback(payment)))).toBe("malformed");
  });

  test("payments - wechat refund callback reports the refund amount and id", () => {
    const cb = wechat.simulateCallback({ ...payment, amount: 500, status: "refunded", refundId: "REF0001" });
    const verified = wechat.verifyCallback(cb);
    expect(verified).toMatchObject({ status: "refunded", amount: 500 });
    const refundTxnId = wechat.refund({
      refundId: "REF0001",
      paymentId: payment.paymentId,
      channelTxnId: verified.channelTxnId,
      amount: 500,
    }).refundTxnId;
    expect(verified.raw).toMatchObject({
      event_type: "REFUND.SUCCESS",
      resource: { refund_id: refundTxnId },
    });
  });

  test("payments - wechat JSAPI paySign verifies with the merchant public key", () => {
    const params = wechat.createPayment({
      ...payment,
      orderId: "ORD-1",
      description: "乌龙茶",
      notifyUrl: "https://shop.example/n",
    });
    if (params.channel !== "wechat") throw new Error("wrong channel");
    expect(params.package).toStartWith("prepay_id=");
    const message = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
    const signature = Buffer.from(params.paySign, "base64");
    expect(verify("sha256", Buffer.from(message), keys.wechat.merchant.publicKey, signature)).toBe(true);
  });

  test("payments - wechat refuses out_trade_no values it would reject", () => {
    const req = { amount: 1, orderId: "o", description: "d", notifyUrl: "https://shop.example/n" };
    for (const paymentId of ["abc", "x".repeat(33), "pay 1", "支付1234567"]) {
      expect(() => wechat.createPayment({ ...req, paymentId })).toThrow("paymentId");
    }
  });
});
