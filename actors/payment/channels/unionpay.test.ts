import { describe, expect, test } from "bun:test";
import { Buffer } from "node:buffer";
import { createHash, sign, verify } from "node:crypto";
import {
  ChannelInputError,
  ChannelSignatureError,
  generateChannelKeys,
  type SignatureFailure,
  UnionpayChannel,
} from "./index.ts";

const keys = await generateChannelKeys();
const clock = { now: new Date("2024-05-01T02:03:04Z") };
const unionpay = new UnionpayChannel(keys.unionpay, { now: () => clock.now });
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

/** UnionPay's rule, written out independently: the sha256 hex of the sorted `k=v&…` string is what is signed. */
function digestHex(fields: Record<string, string>): Buffer {
  const content = Object.keys(fields)
    .filter((k) => k !== "signature" && fields[k] !== "")
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join("&");
  return Buffer.from(createHash("sha256").update(content).digest("hex"));
}

function verifiesAsUnionpay(fields: Record<string, string>, publicKey: string): boolean {
  return verify("sha256", digestHex(fields), publicKey, Buffer.from(fields.signature ?? "", "base64"));
}

/** Signs as UnionPay would, to craft callbacks the simulator never sends. */
function signAsUnionpay(fields: Record<string, string>): Record<string, string> {
  const signature = sign("sha256", digestHex(fields), keys.unionpay.platform.privateKey).toString("base64");
  return { ...fields, signature };
}

describe("payments - unionpay", () => {
  test("payments - unionpay callback signature is RSA-SHA256 over the SHA-256 hex digest", () => {
    const fields = Object.fromEntries(new URLSearchParams(unionpay.simulateCallback(payment).body));
    expect(fields).toMatchObject({
      orderId: payment.paymentId,
      txnAmt: "1999",
      respCode: "00",
      signMethod: "01",
      certId: keys.unionpay.platform.serial,
      txnTime: "20240501100304",
      currencyCode: "156",
    });
    expect(verifiesAsUnionpay(fields, keys.unionpay.platform.publicKey)).toBe(true);
  });

  test("payments - unionpay callback from an unknown certId is rejected", () => {
    const cb = unionpay.simulateCallback(payment);
    const body = cb.body.replace(`certId=${keys.unionpay.platform.serial}`, "certId=12345678901");
    expect(reason(() => unionpay.verifyCallback({ headers: cb.headers, body }))).toBe("unknown_key");
  });

  test("payments - unionpay callback without certId is rejected as unsigned", () => {
    const p = new URLSearchParams(unionpay.simulateCallback(payment).body);
    p.delete("certId");
    expect(reason(() => unionpay.verifyCallback({ headers: {}, body: p.toString() }))).toBe(
      "missing_signature",
    );
  });

  test("payments - unionpay callback for another merId is rejected", () => {
    const other = new UnionpayChannel(keys.unionpay, { now: () => clock.now, merId: "777290058119999" });
    expect(reason(() => unionpay.verifyCallback(other.simulateCallback(payment)))).toBe("malformed");
  });

  test("payments - unionpay refund callback is txnType 04 naming the original payment", () => {
    const cb = unionpay.simulateCallback({
      ...payment,
      amount: 500,
      status: "refunded",
      refundId: "REF00001",
    });
    const fields = Object.fromEntries(new URLSearchParams(cb.body));
    const paid = unionpay.verifyCallback(unionpay.simulateCallback(payment));
    const refundTxnId = unionpay.refund({
      refundId: "REF00001",
      paymentId: payment.paymentId,
      channelTxnId: paid.channelTxnId,
      amount: 500,
    }).refundTxnId;
    expect(fields).toMatchObject({ txnType: "04", orderId: "REF00001", origQryId: paid.channelTxnId });
    expect(fields.queryId).toBe(refundTxnId);
    expect(unionpay.verifyCallback(cb)).toMatchObject({
      paymentId: payment.paymentId,
      channelTxnId: paid.channelTxnId,
      status: "refunded",
      amount: 500,
    });
  });

  test("payments - unionpay signed callbacks with non-fen amounts are refused", () => {
    for (const txnAmt of ["0", "01", "1.00", "1e3", "-5", " 5"]) {
      const fields = Object.fromEntries(new URLSearchParams(unionpay.simulateCallback(payment).body));
      const body = new URLSearchParams(signAsUnionpay({ ...fields, txnAmt })).toString();
      expect(reason(() => unionpay.verifyCallback({ headers: {}, body }))).toBe("malformed");
    }
  });

  test("payments - unionpay request form is signed with the merchant certificate", () => {
    const params = unionpay.createPayment({
      ...payment,
      orderId: "ORD-1",
      description: "乌龙茶",
      notifyUrl: "https://shop.example/notify/unionpay",
    });
    if (params.channel !== "unionpay") throw new Error("wrong channel");
    expect(params.fields).toMatchObject({
      txnType: "01",
      txnAmt: "1999",
      backUrl: "https://shop.example/notify/unionpay",
      certId: keys.unionpay.merchant.serial,
    });
    expect(verifiesAsUnionpay(params.fields, keys.unionpay.merchant.publicKey)).toBe(true);
  });

  test("payments - unionpay refuses order ids with '-' or '_' or outside 8–40 characters", () => {
    const req = { amount: 1, orderId: "o", description: "d", notifyUrl: "https://shop.example/n" };
    for (const paymentId of ["PAY-0000001", "PAY_0000001", "PAY0001", "x".repeat(41)]) {
      expect(() => unionpay.createPayment({ ...req, paymentId })).toThrow(ChannelInputError);
    }
  });
});
