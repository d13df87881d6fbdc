/**
 * The contract every channel honours, run against all three: signed callbacks verify, anything
 * altered or unsigned is refused, fen amounts survive every wire format exactly.
 */
import { describe, expect, test } from "bun:test";
import { Buffer } from "node:buffer";
import {
  CHANNEL_NAMES,
  ChannelInputError,
  type ChannelName,
  ChannelSignatureError,
  type ClientPaymentParams,
  createChannels,
  generateChannelKeys,
  type SignatureFailure,
  type SimulatedChannelKeys,
  type StatementEntry,
} from "./index.ts";
import { decryptResource, encryptResource, type Json } from "./wechat-resource.ts";

type Callback = { headers: Record<string, string>; body: string };

const keys = await generateChannelKeys();
const clock = { now: new Date("2024-05-01T02:03:04Z") };
const channels = createChannels(keys, { now: () => clock.now });

/** Another set of keys wearing the real serials (and UnionPay's real certificate): only the signatures differ. */
function impostor(real: SimulatedChannelKeys, fake: SimulatedChannelKeys): SimulatedChannelKeys {
  const wear = <K extends ChannelName>(c: K) => ({
    ...fake[c],
    merchant: { ...fake[c].merchant, serial: real[c].merchant.serial },
    platform: {
      ...fake[c].platform,
      serial: real[c].platform.serial,
      ...(real[c].platform.certificate ? { certificate: real[c].platform.certificate } : {}),
    },
  });
  return {
    wechat: { ...wear("wechat"), apiV3Key: real.wechat.apiV3Key },
    alipay: wear("alipay"),
    unionpay: wear("unionpay"),
  };
}
const forged = createChannels(impostor(keys, await generateChannelKeys()), { now: () => clock.now });

const form = (cb: Callback, edit: (p: URLSearchParams) => void): Callback => {
  const p = new URLSearchParams(cb.body);
  edit(p);
  return { headers: cb.headers, body: p.toString() };
};

/** Rewrites the encrypted WeChat resource, as someone holding the APIv3 key but not WeChat's key could. */
function rewriteWechat(cb: Callback, edit: (resource: Json) => void): Callback {
  const key = Buffer.from(keys.wechat.apiV3Key, "utf8");
  const envelope = JSON.parse(cb.body);
  const resource = decryptResource(key, envelope.resource);
  edit(resource);
  envelope.resource = encryptResource(key, envelope.resource.associated_data, resource);
  return { headers: cb.headers, body: JSON.stringify(envelope) };
}

interface Case {
  tamperBody(cb: Callback): Callback;
  tamperAmount(cb: Callback): Callback;
  stripSignature(cb: Callback): Callback;
  tamperRequest(params: ClientPaymentParams): ClientPaymentParams;
  /** How the channel writes an amount in its statement file. */
  money(fen: number): string;
}

const yuan = (fen: number) => `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;

const cases: Record<ChannelName, Case> = {
  wechat: {
    tamperBody: (cb) => ({ headers: cb.headers, body: cb.body.replace('"summary":"', '"summary":"!') }),
    tamperAmount: (cb) => rewriteWechat(cb, (r) => Object.assign(r.amount as Json, { total: 199900 })),
    stripSignature: (cb) => {
      const { "Wechatpay-Signature": _, ...headers } = cb.headers;
      return { headers, body: cb.body };
    },
    tamperRequest: (p) => (p.channel === "wechat" ? { ...p, package: `${p.package.slice(0, -2)}xx` } : p),
    money: yuan,
  },
  alipay: {
    tamperBody: (cb) => form(cb, (p) => p.set("buyer_id", "2088000000000666")),
    tamperAmount: (cb) => form(cb, (p) => p.set("total_amount", "1999.00")),
    stripSignature: (cb) => form(cb, (p) => p.delete("sign")),
    tamperRequest: (p) =>
      p.channel === "alipay" ? { ...p, orderString: p.orderString.replace("%2219.99%22", "%220.01%22") } : p,
    money: yuan,
  },
  unionpay: {
    tamperBody: (cb) => form(cb, (p) => p.set("traceNo", "000001")),
    tamperAmount: (cb) => form(cb, (p) => p.set("txnAmt", "199900")),
    stripSignature: (cb) => form(cb, (p) => p.delete("signature")),
    tamperRequest: (p) => (p.channel === "unionpay" ? { ...p, fields: { ...p.fields, txnAmt: "1" } } : p),
    money: String,
  },
};

function rejects(fn: () => unknown, reason: SignatureFailure): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ChannelSignatureError);
    expect((err as ChannelSignatureError).reason).toBe(reason);
    return;
  }
  throw new Error(`expected ChannelSignatureError(${reason})`);
}

const payment = { paymentId: "PAY20240501A1", amount: 1999 };
const request = {
  ...payment,
  orderId: "ORD-1",
  description: "乌龙茶 250g",
  notifyUrl: "https://shop.example/notify",
};

for (const name of CHANNEL_NAMES) {
  const channel = channels[name];
  const c = cases[name];
  describe(`payments - ${name}`, () => {
    test(`payments - ${name} callback with a valid signature verifies`, () => {
      const at = new Date("2024-05-01T02:00:00Z");
      const verified = channel.verifyCallback(channel.simulateCallback({ ...payment, at }));
      expect(verified).toMatchObject({ paymentId: payment.paymentId, amount: 1999, status: "paid" });
      expect(verified.paidAt).toBe(at.toISOString());
      expect(verified.channelTxnId).toMatch(/^\d{20,}$/);
    });

    test(`payments - ${name} failed and refunded callbacks verify with their status`, () => {
      for (const status of ["failed", "refunded"] as const) {
        const verified = channel.verifyCallback(channel.simulateCallback({ ...payment, status }));
        expect(verified).toMatchObject({ paymentId: payment.paymentId, amount: 1999, status });
      }
      const paid = channel.verifyCallback(channel.simulateCallback(payment));
      const refund = channel.verifyCallback(channel.simulateCallback({ ...payment, status: "refunded" }));
      expect(refund.channelTxnId).toBe(paid.channelTxnId); // the refund names the payment it reverses
    });

    test(`payments - ${name} duplicate callbacks carry the same channel transaction id`, () => {
      const first = channel.verifyCallback(channel.simulateCallback(payment));
      const again = channel.verifyCallback(channel.simulateCallback(payment));
      expect(again.channelTxnId).toBe(first.channelTxnId);
      const given = channel.verifyCallback(
        channel.simulateCallback({ ...payment, channelTxnId: "777000111" }),
      );
      expect(given.channelTxnId).toBe("777000111");
    });

    test(`payments - ${name} callback with a tampered body is rejected`, () => {
      const cb = channel.simulateCallback(payment);
      const tampered = c.tamperBody(cb);
      expect(tampered.body).not.toBe(cb.body);
      rejects(() => channel.verifyCallback(tampered), "bad_signature");
    });

    test(`payments - ${name} callback with a tampered amount is rejected`, () => {
      const cb = channel.simulateCallback(payment);
      const tampered = c.tamperAmount(cb);
      expect(tampered.body).not.toBe(cb.body);
      rejects(() => channel.verifyCallback(tampered), "bad_signature");
    });

    test(`payments - ${name} callback signed with another key is rejected`, () => {
      rejects(() => channel.verifyCallback(forged[name].simulateCallback(payment)), "bad_signature");
    });

    test(`payments - ${name} callback without a signature is rejected`, () => {
      rejects(
        () => channel.verifyCallback(c.stripSignature(channel.simulateCallback(payment))),
        "missing_signature",
      );
    });

    test(`payments - ${name} garbage callbacks are rejected as signature errors`, () => {
      for (const body of ["", "{}", "not a form&&==", "sign=AAAA&signature=AAAA"]) {
        expect(() => channel.verifyCallback({ headers: {}, body })).toThrow(ChannelSignatureError);
      }
    });

    test(`payments - ${name} amounts round-trip exactly`, () => {
      for (const amount of [1, 10, 99, 100, 1999, 10001, 123456789]) {
        for (const status of ["paid", "refunded"] as const) {
          const verified = channel.verifyCallback(channel.simulateCallback({ ...payment, amount, status }));
          expect(verified.amount).toBe(amount);
        }
      }
    });

    test(`payments - ${name} statement lists every money movement with its exact amount`, () => {
      const at = (s: number) => new Date(Date.UTC(2024, 3, 30, 16, 0, s)).toISOString(); // 2024-05-01 CST
      const entries: StatementEntry[] = [
        { paymentId: "PAY00000001", channelTxnId: "420000000001", amount: 1, status: "paid", at: at(1) },
        { paymentId: "PAY00000002", channelTxnId: "420000000002", amount: 1999, status: "paid", at: at(2) },
        {
          paymentId: "PAY00000003",
          channelTxnId: "420000000003",
          amount: 123456789,
          status: "paid",
          at: at(3),
        },
        {
          paymentId: "PAY00000002",
          channelTxnId: "420000000002",
          amount: 999,
          status: "refunded",
          at: at(4),
        },
        { paymentId: "PAY00000004", channelTxnId: "420000000004", amount: 700, status: "failed", at: at(5) },
      ];
      const file = channel.statement("2024-05-01", entries);
      for (const e of entries.slice(0, 4)) {
        expect(file).toContain(e.paymentId);
        expect(file).toContain(c.money(e.amount));
      }
      expect(file).not.toContain("PAY00000004"); // a failed payment moved no money
      expect(channel.parseStatement(file)).toEqual(entries.slice(0, 4));
      expect(channel.parseStatement(channel.statement("2024-05-01", []))).toEqual([]);
    });

    test(`payments - ${name} createPayment output is signed with the merchant key`, () => {
      const params = channel.createPayment(request);
      expect(params.channel).toBe(name);
      expect(channel.acceptPayment(params)).toEqual({
        paymentId: payment.paymentId,
        amount: 1999,
        notifyUrl: request.notifyUrl,
      });
      rejects(() => forged[name].acceptPayment(params), "bad_signature");
      const tampered = c.tamperRequest(params);
      expect(tampered).not.toEqual(params);
      rejects(() => channel.acceptPayment(tampered), "bad_signature");
    });

    test(`payments - ${name} the off-thread variants sign as the channel does: accepted and verified`, async () => {
      const params = await channel.createPaymentAsync!(request);
      expect(channel.acceptPayment(params)).toEqual({
        paymentId: payment.paymentId,
        amount: 1999,
        notifyUrl: request.notifyUrl,
      });
      rejects(() => forged[name].acceptPayment(params), "bad_signature");
      for (const status of ["paid", "failed", "refunded"] as const) {
        const cb = await channel.simulateCallbackAsync!({ ...payment, status });
        expect(channel.verifyCallback(cb)).toMatchObject({
          paymentId: payment.paymentId,
          amount: 1999,
          status,
        });
        rejects(() => channel.verifyCallback(c.tamperBody(cb)), "bad_signature");
      }
      await expect(channel.createPaymentAsync!({ ...request, amount: 0 })).rejects.toThrow(ChannelInputError);
    });

    test(`payments - ${name} createPayment refuses amounts that are not positive whole fen`, () => {
      for (const amount of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        expect(() => channel.createPayment({ ...request, amount })).toThrow(ChannelInputError);
      }
    });

    test(`payments - ${name} refund is accepted with an id stable per refund id`, () => {
      const req = {
        refundId: "REF00000001",
        paymentId: payment.paymentId,
        channelTxnId: "4200001",
        amount: 500,
      };
      const first = channel.refund(req);
      expect(first.status).toBe("accepted");
      expect(channel.refund(req)).toEqual(first);
      expect(channel.refund({ ...req, refundId: "REF00000002" }).refundTxnId).not.toBe(first.refundTxnId);
      expect(() => channel.refund({ ...req, amount: 0 })).toThrow(ChannelInputError);
    });

    test(`payments - ${name} callback replies differ for accepted and refused callbacks`, () => {
      const ok = channel.callbackReply(true);
      const refused = channel.callbackReply(false);
      expect(ok.status).toBeLessThan(300);
      expect(`${refused.status} ${refused.body}`).not.toBe(`${ok.status} ${ok.body}`);
    });
  });
}
