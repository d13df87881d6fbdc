import { describe, expect, test } from "bun:test";
import { Buffer } from "node:buffer";
import { createPublicKey } from "node:crypto";
import fc from "fast-check";
import {
  ChannelInputError,
  type ChannelKeys,
  createChannels,
  fenToYuan,
  generateChannelKeys,
  yuanToFen,
} from "./index.ts";
import { formatCst, parseCst, parseFen, signingString } from "./wire.ts";

describe("payments - money and wire formats", () => {
  test("payments - yuan strings convert to fen exactly", () => {
    const cases: Array<[string, number]> = [
      ["0.01", 1],
      ["0.10", 10],
      ["0.1", 10],
      ["19.99", 1999],
      ["12", 1200],
      ["1234567.89", 123456789],
      ["90071992547409.91", 9007199254740991],
    ];
    for (const [yuan, fen] of cases) expect(yuanToFen(yuan)).toBe(fen);
  });

  test("payments - malformed yuan strings are refused rather than guessed", () => {
    for (const bad of [
      "",
      "1.234",
      "-1.00",
      "+1.00",
      "1e2",
      " 1.00",
      "1.00 ",
      "01.00",
      ".5",
      "1.",
      "1,00",
      "NaN",
    ]) {
      expect(yuanToFen(bad)).toBeUndefined();
    }
    expect(yuanToFen("90071992547409.92")).toBeUndefined(); // beyond safe integers
  });

  test("payments - fen format as yuan with two decimals", () => {
    expect(fenToYuan(1)).toBe("0.01");
    expect(fenToYuan(1999)).toBe("19.99");
    expect(fenToYuan(100)).toBe("1.00");
    expect(fenToYuan(0)).toBe("0.00");
    expect(fenToYuan(Number.MAX_SAFE_INTEGER)).toBe("90071992547409.91");
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => fenToYuan(bad)).toThrow(ChannelInputError);
  });

  test("payments - every safe fen amount round-trips through yuan", () => {
    fc.assert(fc.property(fc.maxSafeNat(), (fen) => yuanToFen(fenToYuan(fen)) === fen));
  });

  test("payments - fen strings are strict integers", () => {
    expect(parseFen("123456789")).toBe(123456789);
    for (const bad of ["", "01", "1.0", "1e3", "-1", " 1", "0x10"]) expect(parseFen(bad)).toBeUndefined();
  });

  test("payments - China-time stamps round-trip in every channel style", () => {
    const at = new Date("2024-12-31T16:59:58Z");
    expect(formatCst(at, "alipay")).toBe("2025-01-01 00:59:58");
    expect(formatCst(at, "unionpay")).toBe("20250101005958");
    expect(formatCst(at, "rfc3339")).toBe("2025-01-01T00:59:58+08:00");
    expect(parseCst("2025-01-01 00:59:58")?.toISOString()).toBe(at.toISOString());
    expect(parseCst("20250101005958")?.toISOString()).toBe(at.toISOString());
    expect(parseCst("2025-01-01 00:59:58.320")?.toISOString()).toBe(at.toISOString());
    for (const bad of ["2024-02-30 00:00:00", "2024-01-01", "20240101 000000x", ""]) {
      expect(parseCst(bad)).toBeUndefined();
    }
  });

  test("payments - signing string sorts keys and skips excluded and empty values", () => {
    const s = signingString({ b: "2", a: "x y", sign: "S", sign_type: "RSA2", c: "", A: "up" }, [
      "sign",
      "sign_type",
    ]);
    expect(s).toBe("A=up&a=x y&b=2");
  });
});

describe("payments - channel keys", () => {
  test("payments - generated keys are RSA-2048 PEM and survive a JSON round trip", async () => {
    const keys = await generateChannelKeys();
    const stored: ChannelKeys = JSON.parse(JSON.stringify(keys));
    for (const name of ["wechat", "alipay", "unionpay"] as const) {
      for (const pair of [stored[name].merchant, stored[name].platform]) {
        const key = createPublicKey(pair.publicKey);
        expect(key.asymmetricKeyType).toBe("rsa");
        expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
        expect(pair.privateKey).toStartWith("-----BEGIN PRIVATE KEY-----");
      }
    }
    expect(stored.wechat.platform.serial).toMatch(/^[0-9A-F]{40}$/);
    expect(stored.unionpay.platform.serial).toMatch(/^\d{11}$/);
    expect(Buffer.byteLength(stored.wechat.apiV3Key)).toBe(32);
    const channels = createChannels(stored);
    const cb = channels.alipay.simulateCallback({ paymentId: "PAY00000001", amount: 1 });
    expect(channels.alipay.verifyCallback(cb).amount).toBe(1);
  });

  test("payments - without the platform private key channels verify but cannot fake callbacks", async () => {
    const keys = await generateChannelKeys();
    const simulator = createChannels(keys);
    const production: ChannelKeys = {
      wechat: {
        ...keys.wechat,
        platform: { serial: keys.wechat.platform.serial, publicKey: keys.wechat.platform.publicKey },
      },
      alipay: {
        ...keys.alipay,
        platform: { serial: keys.alipay.platform.serial, publicKey: keys.alipay.platform.publicKey },
      },
      unionpay: {
        ...keys.unionpay,
        platform: { serial: keys.unionpay.platform.serial, publicKey: keys.unionpay.platform.publicKey },
      },
    };
    const channels = createChannels(production);
    for (const name of ["wechat", "alipay", "unionpay"] as const) {
      const cb = simulator[name].simulateCallback({ paymentId: "PAY00000001", amount: 5 });
      expect(channels[name].verifyCallback(cb).amount).toBe(5);
      expect(() => channels[name].simulateCallback({ paymentId: "PAY00000001", amount: 5 })).toThrow(
        ChannelInputError,
      );
    }
  });

  test("payments - a key that is not PEM fails when channels are created", async () => {
    const keys = await generateChannelKeys();
    const broken = {
      ...keys,
      alipay: { ...keys.alipay, platform: { ...keys.alipay.platform, publicKey: "nope" } },
    };
    expect(() => createChannels(broken)).toThrow(ChannelInputError);
    const shortV3 = { ...keys, wechat: { ...keys.wechat, apiV3Key: "short" } };
    expect(() => createChannels(shortV3)).toThrow(ChannelInputError);
  });
});
