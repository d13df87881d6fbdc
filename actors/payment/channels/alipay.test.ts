import { describe, expect, test } from "bun:test";
import { Buffer } from "node:buffer";
import { sign, verify } from "node:crypto";
import { AlipayChannel, ChannelSignatureError, generateChannelKeys, type SignatureFailure } from "./index.ts";

const keys = await generateChannelKeys();
const clock = { now: new Date("2024-05-01T02:03:04Z") };
const alipay = new AlipayChannel(keys.alipay, { now: () => clock.now });
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

/**
 * Alipay's rule, written out independently of the code under test: requests are signed over their
 * non-empty params, notifies are verified over every param (`getSignCheckContentV1` keeps empty ones).
 */
function alipayContent(
  params: URLSearchParams,
  exclude: string[],
  keepEmpty = exclude.includes("sign_type"),
): string {
  return [...params.entries()]
    .filter(([k, v]) => !exclude.includes(k) && (keepEmpty || v !== ""))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/** Signs a form as Alipay would, so tests can craft callbacks the simulator would never send. */
function signedForm(fields: Record<string, string>): string {
  const params = new URLSearchParams(fields);
  const content = alipayContent(params, ["sign", "sign_type"]);
  params.set(
    "sign",
    sign("sha256", Buffer.from(content), keys.alipay.platform.privateKey).toString("base64"),
  );
  return params.toString();
}

const paidFields = (overrides: Record<string, string>) => {
  const base = Object.fromEntries(new URLSearchParams(alipay.simulateCallback(payment).body));
  delete base.sign;
  return { ...base, ...overrides };
};

describe("payments - alipay", () => {
  test("payments - alipay callback carries yuan strings with two decimals", () => {
    for (const [fen, yuan] of [
      [1, "0.01"],
      [1999, "19.99"],
      [100, "1.00"],
      [123456789, "1234567.89"],
    ] as const) {
      const params = new URLSearchParams(alipay.simulateCallback({ ...payment, amount: fen }).body);
      expect(params.get("total_amount")).toBe(yuan);
      expect(
        alipay.verifyCallback({ headers: {}, body: signedForm(paidFields({ total_amount: yuan })) }).amount,
      ).toBe(fen);
    }
  });

  test("payments - alipay callback amounts in other spellings are parsed exactly or refused", () => {
    const amount = (total_amount: string) =>
      alipay.verifyCallback({ headers: {}, body: signedForm(paidFields({ total_amount })) }).amount;
    expect(amount("12")).toBe(1200);
    expect(amount("12.3")).toBe(1230);
    for (const bad of ["0.00", "1.234", "-1.00", "1e2", "01.00", ".5", "12.", "１２.００"]) {
      expect(reason(() => amount(bad))).toBe("malformed");
    }
  });

  test("payments - alipay callback sign excludes sign and sign_type and sorts the raw values", () => {
    const params = new URLSearchParams(alipay.simulateCallback(payment).body);
    expect(params.get("sign_type")).toBe("RSA2");
    expect(params.get("gmt_payment")).toBe("2024-05-01 10:03:04"); // China time, space kept raw
    const signature = Buffer.from(params.get("sign") ?? "", "base64");
    const content = alipayContent(params, ["sign", "sign_type"]);
    expect(content).toContain("gmt_payment=2024-05-01 10:03:04&");
    expect(verify("sha256", Buffer.from(content), keys.alipay.platform.publicKey, signature)).toBe(true);
  });

  test("payments - alipay notify with an empty field verifies: the empty value is part of the signed string", () => {
    // Alipay sends fields such as `passback_params=` or `body=` empty and signs them as `k=`.
    const body = signedForm(paidFields({ passback_params: "", body: "" }));
    const params = new URLSearchParams(body);
    expect(alipayContent(params, ["sign", "sign_type"])).toContain("body=&");
    expect(alipay.verifyCallback({ headers: {}, body })).toMatchObject({ status: "paid", amount: 1999 });
    // Dropping the empty field changes the signed string, so the signature no longer holds.
    params.delete("body");
    expect(reason(() => alipay.verifyCallback({ headers: {}, body: params.toString() }))).toBe(
      "bad_signature",
    );
  });

  test("payments - alipay callback with sign_type RSA (SHA-1) is refused", () => {
    const body = signedForm(paidFields({ sign_type: "RSA" }));
    expect(reason(() => alipay.verifyCallback({ headers: {}, body }))).toBe("malformed");
  });

  test("payments - alipay callback for another app_id is refused even when signed", () => {
    const body = signedForm(paidFields({ app_id: "2021000000009999" }));
    expect(reason(() => alipay.verifyCallback({ headers: {}, body }))).toBe("malformed");
  });

  test("payments - alipay callback with a repeated field is refused", () => {
    const body = `${alipay.simulateCallback(payment).body}&total_amount=1999.00`;
    expect(reason(() => alipay.verifyCallback({ headers: {}, body }))).toBe("malformed");
  });

  test("payments - alipay TRADE_FINISHED after TRADE_SUCCESS is another paid callback", () => {
    const body = signedForm(paidFields({ trade_status: "TRADE_FINISHED" }));
    expect(alipay.verifyCallback({ headers: {}, body })).toMatchObject({ status: "paid", amount: 1999 });
  });

  test("payments - alipay refund callback uses refund_fee and gmt_refund", () => {
    const at = new Date("2024-05-02T01:00:00Z");
    const cb = alipay.simulateCallback({
      ...payment,
      amount: 1,
      status: "refunded",
      at,
      refundId: "REF0001",
    });
    const params = new URLSearchParams(cb.body);
    expect(params.get("refund_fee")).toBe("0.01");
    expect(params.get("out_biz_no")).toBe("REF0001");
    expect(alipay.verifyCallback(cb)).toMatchObject({
      status: "refunded",
      amount: 1,
      paidAt: at.toISOString(),
    });
  });

  test("payments - alipay order string is signed with sign_type included, verifiable with the merchant key", () => {
    const params = alipay.createPayment({
      ...payment,
      orderId: "ORD-1",
      description: "乌龙茶 250g",
      notifyUrl: "https://shop.example/notify/alipay",
    });
    if (params.channel !== "alipay") throw new Error("wrong channel");
    const fields = new URLSearchParams(params.orderString);
    expect(fields.get("method")).toBe("alipay.trade.app.pay");
    expect(JSON.parse(fields.get("biz_content") ?? "")).toMatchObject({
      out_trade_no: payment.paymentId,
      total_amount: "19.99",
      subject: "乌龙茶 250g",
    });
    const content = alipayContent(fields, ["sign"]);
    expect(content).toContain("sign_type=RSA2");
    const signature = Buffer.from(fields.get("sign") ?? "", "base64");
    expect(verify("sha256", Buffer.from(content), keys.alipay.merchant.publicKey, signature)).toBe(true);
  });

  test("payments - alipay refuses out_trade_no values it would reject", () => {
    const req = { amount: 1, orderId: "o", description: "d", notifyUrl: "https://shop.example/n" };
    for (const paymentId of ["", "pay-1", "x".repeat(65)]) {
      expect(() => alipay.createPayment({ ...req, paymentId })).toThrow("paymentId");
    }
    expect(alipay.createPayment({ ...req, paymentId: "pay_1" }).channel).toBe("alipay");
  });
});
