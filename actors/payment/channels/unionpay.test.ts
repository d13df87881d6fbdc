import { describe, expect, test } from "bun:test";
import { Buffer } from "node:buffer";
import { execFile } from "node:child_process";
import { createHash, sign, verify, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  ChannelInputError,
  ChannelSignatureError,
  generateChannelKeys,
  type SignatureFailure,
  UNIONPAY_CERT_OWNER,
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

/**
 * UnionPay's rule, written out independently: the lowercase hex digest (SHA-256 for 5.1.0, SHA-1 for
 * 5.0.0) of the sorted `k=v&…` string of every field but `signature` is what gets signed.
 */
function digestHex(fields: Record<string, string>, hash: "sha256" | "sha1" = "sha256"): Buffer {
  const content = Object.keys(fields)
    .filter((k) => k !== "signature" && fields[k] !== "")
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join("&");
  return Buffer.from(createHash(hash).update(content).digest("hex"));
}

function verifiesAsUnionpay(fields: Record<string, string>, publicKey: string): boolean {
  return verify("sha256", digestHex(fields), publicKey, Buffer.from(fields.signature ?? "", "base64"));
}

/** Signs as UnionPay would, to craft callbacks the simulator never sends. */
function signAsUnionpay(
  fields: Record<string, string>,
  privateKey: string = keys.unionpay.platform.privateKey,
  hash: "sha256" | "sha1" = "sha256",
): Record<string, string> {
  const { signature: _, ...unsigned } = fields;
  const signature = sign(hash, digestHex(unsigned, hash), privateKey).toString("base64");
  return { ...unsigned, signature };
}

const simulatedFields = () =>
  Object.fromEntries(new URLSearchParams(unionpay.simulateCallback(payment).body));
const post = (fields: Record<string, string>) => ({
  headers: {},
  body: new URLSearchParams(fields).toString(),
});

const run = promisify(execFile);

interface OpensslChain {
  rootCert: string;
  middleCert: string;
  signCert: string;
  signKey: string;
}

/**
 * A root → middle → signing certificate chain made by the `openssl` CLI, independently of the
 * simulator's own certificate code, valid from now for `days`.
 */
async function opensslChain(owner: string, days = 365): Promise<OpensslChain> {
  const dir = await mkdtemp(join(tmpdir(), "unionpay-chain-"));
  const at = (name: string) => join(dir, name);
  try {
    await writeFile(
      at("ca.ext"),
      "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    );
    await writeFile(
      at("sign.ext"),
      "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n",
    );
    const newKey = (name: string, subj: string) =>
      run("openssl", [
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-utf8",
        "-subj",
        subj,
        "-keyout",
        at(`${name}.key`),
        "-out",
        at(`${name}.csr`),
      ]);
    const issue = (name: string, ca: string, ext: string, serial: string) =>
      run("openssl", [
        "x509",
        "-req",
        "-in",
        at(`${name}.csr`),
        "-CA",
        at(`${ca}.pem`),
        "-CAkey",
        at(`${ca}.key`),
        "-set_serial",
        serial,
        "-days",
        String(days),
        "-extfile",
        at(ext),
        "-out",
        at(`${name}.pem`),
      ]);
    await newKey("root", "/C=CN/O=Test CA/CN=Test Root");
    await run("openssl", [
      "x509",
      "-req",
      "-in",
      at("root.csr"),
      "-key",
      at("root.key"),
      "-days",
      String(days),
      "-extfile",
      at("ca.ext"),
      "-out",
      at("root.pem"),
    ]);
    await newKey("middle", "/C=CN/O=Test CA/CN=Test Middle");
    await issue("middle", "root", "ca.ext", "2");
    await newKey("sign", `/C=CN/O=${owner}/CN=041@Z12345678@${owner}@00000001`);
    await issue("sign", "middle", "sign.ext", "69042905377");
    const read = (name: string) => readFile(at(name), "utf8");
    return {
      rootCert: await read("root.pem"),
      middleCert: await read("middle.pem"),
      signCert: await read("sign.pem"),
      signKey: await read("sign.key"),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const [genuine, otherCa] = await Promise.all([
  opensslChain(UNIONPAY_CERT_OWNER),
  opensslChain(UNIONPAY_CERT_OWNER),
]);

/** A merchant configured with the openssl chain's root and middle certificates, on the real clock. */
function merchantTrusting(chain: OpensslChain, now = () => new Date()): UnionpayChannel {
  return new UnionpayChannel(
    { ...keys.unionpay, rootCert: chain.rootCert, middleCert: chain.middleCert },
    { now },
  );
}

/** A 5.1.0 back-notify as UnionPay sends it: `signPubKeyCert` inline, no `certId`. */
function notify510(chain: OpensslChain, overrides: Record<string, string> = {}): Record<string, string> {
  const all: Record<string, string> = { ...simulatedFields(), signPubKeyCert: chain.signCert, ...overrides };
  const { certId: _, ...fields } = all;
  return signAsUnionpay(fields, chain.signKey);
}

describe("payments - unionpay", () => {
  test("payments - unionpay genuine 5.1.0 back-notify with signPubKeyCert and no certId verifies against root and middle", () => {
    const fields = notify510(genuine);
    expect(fields.certId).toBeUndefined();
    expect(fields.version).toBe("5.1.0");
    expect(merchantTrusting(genuine).verifyCallback(post(fields))).toMatchObject({
      paymentId: payment.paymentId,
      amount: 1999,
      status: "paid",
    });
  });

  test("payments - unionpay 5.1.0 signPubKeyCert from another CA, expired, not UnionPay's or a CA itself is refused", () => {
    const merchant = merchantTrusting(genuine);
    expect(reason(() => merchant.verifyCallback(post(notify510(otherCa))))).toBe("unknown_key");
    const twoYearsOn = merchantTrusting(genuine, () => new Date(Date.now() + 2 * 365 * 86_400_000));
    expect(reason(() => twoYearsOn.verifyCallback(post(notify510(genuine))))).toBe("unknown_key");
    // The middle certificate is issued by the root and UnionPay-looking, but may not sign data.
    const byMiddle = signAsUnionpay(
      { ...notify510(genuine), signPubKeyCert: genuine.middleCert },
      genuine.signKey,
    );
    expect(reason(() => merchant.verifyCallback(post(byMiddle)))).toBe("unknown_key");
    expect(reason(() => merchant.verifyCallback(post(notify510(genuine, { signPubKeyCert: "junk" }))))).toBe(
      "malformed",
    );
  });

  test("payments - unionpay 5.1.0 certificate owned by someone else is refused unless that owner is configured", async () => {
    const testEnv = await opensslChain("00040000:SIGN");
    const fields = post(notify510(testEnv));
    expect(reason(() => merchantTrusting(testEnv).verifyCallback(fields))).toBe("unknown_key");
    const accepting = new UnionpayChannel(
      { ...keys.unionpay, rootCert: testEnv.rootCert, middleCert: testEnv.middleCert },
      { now: () => new Date(), signCertOwners: [UNIONPAY_CERT_OWNER, "00040000:SIGN"] },
    );
    expect(accepting.verifyCallback(fields).amount).toBe(1999);
  });

  test("payments - unionpay 5.1.0 notify without signPubKeyCert is unsigned; an edited field breaks the signature", () => {
    const merchant = merchantTrusting(genuine);
    const { signPubKeyCert: _, ...withoutCert } = notify510(genuine);
    expect(reason(() => merchant.verifyCallback(post(withoutCert)))).toBe("missing_signature");
    expect(reason(() => merchant.verifyCallback(post({ ...notify510(genuine), txnAmt: "199900" })))).toBe(
      "bad_signature",
    );
  });

  test("payments - unionpay simulator sends 5.1.0: signPubKeyCert chaining to its root and middle, no certId", async () => {
    const fields = simulatedFields();
    expect(fields).toMatchObject({
      version: "5.1.0",
      orderId: payment.paymentId,
      txnAmt: "1999",
      respCode: "00",
      signMethod: "01",
      txnTime: "20240501100304",
      currencyCode: "156",
    });
    expect(fields.certId).toBeUndefined();
    const cert = new X509Certificate(fields.signPubKeyCert ?? "");
    expect(BigInt(`0x${cert.serialNumber}`).toString(10)).toBe(keys.unionpay.platform.serial);
    expect(verifiesAsUnionpay(fields, cert.publicKey.export({ type: "spki", format: "pem" }) as string)).toBe(
      true,
    );
    // OpenSSL agrees the simulated chain is a valid X.509 chain.
    const dir = await mkdtemp(join(tmpdir(), "unionpay-sim-"));
    try {
      await writeFile(join(dir, "root.pem"), keys.unionpay.rootCert ?? "");
      await writeFile(join(dir, "middle.pem"), keys.unionpay.middleCert ?? "");
      await writeFile(join(dir, "sign.pem"), fields.signPubKeyCert ?? "");
      const { stdout } = await run("openssl", [
        "verify",
        "-CAfile",
        join(dir, "root.pem"),
        "-untrusted",
        join(dir, "middle.pem"),
        join(dir, "sign.pem"),
      ]);
      expect(stdout).toContain(": OK");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("payments - unionpay 5.0.0 callbacks (certId, SHA-1) verify with the preinstalled key only where no 5.1.0 chain is configured", () => {
    const { rootCert: _r, middleCert: _m, ...keysWithout510 } = keys.unionpay;
    const legacy = new UnionpayChannel(keysWithout510, { now: () => clock.now });
    const all: Record<string, string> = { ...simulatedFields(), version: "5.0.0" };
    const { signPubKeyCert: _, ...fields } = all;
    const signed = signAsUnionpay({ ...fields, certId: keys.unionpay.platform.serial }, undefined, "sha1");
    expect(legacy.verifyCallback(post(signed)).amount).toBe(1999);
    const unknown = signAsUnionpay({ ...fields, certId: "12345678901" }, undefined, "sha1");
    expect(reason(() => legacy.verifyCallback(post(unknown)))).toBe("unknown_key");
    expect(reason(() => legacy.verifyCallback(post(signAsUnionpay(fields, undefined, "sha1"))))).toBe(
      "missing_signature",
    );
    // With the 5.1.0 (SHA-256) chain configured, a genuine-looking 5.0.0 (SHA-1) callback is a downgrade:
    // refused, whatever its signature, so a SHA-1 forgery cannot stand in for a certificate-signed notify.
    expect(reason(() => unionpay.verifyCallback(post(signed)))).toBe("downgrade");
    expect(reason(() => unionpay.verifyCallback(post(unknown)))).toBe("downgrade");
  });

  test("payments - unionpay root and middle certificates that do not chain are refused at wiring time", () => {
    expect(
      () =>
        new UnionpayChannel({ ...keys.unionpay, rootCert: genuine.rootCert, middleCert: otherCa.middleCert }),
    ).toThrow(ChannelInputError);
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
      const body = new URLSearchParams(signAsUnionpay({ ...simulatedFields(), txnAmt })).toString();
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
