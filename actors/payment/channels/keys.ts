/**
 * Key material for the channels. Every channel has two RSA key pairs: the merchant's (the merchant
 * signs requests; the channel holds the public half) and the channel's "platform" key (the channel
 * signs callbacks; the merchant holds the public half). Real channels issue these per merchant
 * account, so each channel gets its own merchant key too: rotating one never touches the others.
 *
 * Keys are plain JSON-able data passed in, never read from disk here, so a deployment stores them
 * where it likes. In production only `merchant.privateKey`, `platform.publicKey`, the serials and the
 * WeChat APIv3 key exist; `platform.privateKey` is the channel's secret and exists only in simulation.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes } from "node:crypto";
import type { ChannelName } from "./channel.ts";
import { derivedDigits } from "./wire.ts";
import { type DistinguishedName, issueCertificate } from "./x509.ts";

export interface MerchantKey {
  /** WeChat: the merchant certificate serial; UnionPay: the signing certificate's `certId`. */
  serial: string;
  publicKey: string;
  privateKey: string;
}

export interface PlatformKey {
  /**
   * WeChat: `Wechatpay-Serial`; UnionPay: the signing certificate's serial in decimal (the `certId` of
   * 5.0.0 callbacks). Alipay's public-key mode has none.
   */
  serial: string;
  publicKey: string;
  /** Simulation only: without it the channel still verifies, but cannot fake callbacks. */
  privateKey?: string;
  /**
   * Simulation only, UnionPay: the signing certificate (PEM) for `publicKey`, issued by the middle
   * certificate, that 5.1.0 callbacks carry in `signPubKeyCert`.
   */
  certificate?: string;
}

/**
 * UnionPay 5.1.0 callbacks carry their signing certificate; it is trusted only if it chains to these
 * (UnionPay's `acp_prod_root.cer` and `acp_prod_middle.cer`, PEM). `platform` stays for 5.0.0 callbacks,
 * which name a preinstalled key by `certId`.
 */
export interface UnionpayKeySet extends ChannelKeySet {
  rootCert?: string;
  middleCert?: string;
}

export interface ChannelKeySet {
  merchant: MerchantKey;
  platform: PlatformKey;
}

export interface ChannelKeys {
  /**
   * `apiV3Key`: the 32-character secret that AES-256-GCM-encrypts callback resources.
   * `acceptedPlatforms`: the other platform certificates WeChat lists (GET /v3/certificates) while it
   * rotates them; callbacks signed by any of them verify, chosen by `Wechatpay-Serial`.
   */
  wechat: ChannelKeySet & { apiV3Key: string; acceptedPlatforms?: PlatformKey[] };
  alipay: ChannelKeySet;
  unionpay: UnionpayKeySet;
}

/** What `generateChannelKeys` returns: platform private keys are always present. */
export type SimulatedChannelKeys = {
  [C in keyof ChannelKeys]: ChannelKeys[C] & { platform: PlatformKey & { privateKey: string } };
};

interface PemPair {
  publicKey: string;
  privateKey: string;
}

function rsaPair(): Promise<PemPair> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      "rsa",
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      },
      (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })),
    ),
  );
}

// Serials in each channel's own shape: WeChat 40 hex digits, UnionPay an 11-digit decimal certId (the
// certificate serial in decimal, so no leading zero).
function serialFor(channel: ChannelName): string {
  if (channel === "wechat") return randomBytes(20).toString("hex").toUpperCase();
  return `6${derivedDigits(randomBytes(16).toString("hex"), 10)}`;
}

async function keySet(channel: ChannelName): Promise<SimulatedChannelKeys[ChannelName]> {
  const [merchant, platform] = await Promise.all([rsaPair(), rsaPair()]);
  return {
    merchant: { serial: serialFor(channel), ...merchant },
    platform: { serial: serialFor(channel), ...platform },
  };
}

/** The owner name UnionPay's SDK looks for in the third `@`-separated part of the signing certificate's CN. */
export const UNIONPAY_CERT_OWNER = "中国银联股份有限公司";

/** Simulated certificates are valid from well before any test clock until ten years from now. */
function validity(): { notBefore: Date; notAfter: Date } {
  const notAfter = new Date();
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 10);
  return { notBefore: new Date("2020-01-01T00:00:00Z"), notAfter };
}

/**
 * Plays UnionPay's CA: a fresh root and middle certificate, and a signing certificate for the existing
 * platform key (serial = its `certId`), so 5.1.0 callbacks can carry `signPubKeyCert`. Also upgrades a
 * key set stored before 5.1.0 support: its platform key and certId stay, the certificates are added.
 */
export async function withUnionpayCertificates<K extends SimulatedChannelKeys["unionpay"]>(
  keys: K,
): Promise<K & Required<Pick<UnionpayKeySet, "rootCert" | "middleCert">>> {
  const [root, middle] = await Promise.all([rsaPair(), rsaPair()]);
  const { notBefore, notAfter } = validity();
  const rootName: DistinguishedName = {
    C: "CN",
    O: "China Financial Certification Authority",
    CN: "CFCA ACS TEST ROOT",
  };
  const middleName: DistinguishedName = {
    C: "CN",
    O: "China Financial Certification Authority",
    CN: "CFCA ACS TEST OCA31",
  };
  const common = { notBefore, notAfter };
  const rootCert = issueCertificate({
    ...common,
    subject: rootName,
    issuer: rootName,
    serial: BigInt(`0x${randomBytes(8).toString("hex")}`),
    publicKey: createPublicKey(root.publicKey),
    issuerKey: createPrivateKey(root.privateKey),
    ca: true,
  });
  const middleKey = createPrivateKey(middle.privateKey);
  const middleCert = issueCertificate({
    ...common,
    subject: middleName,
    issuer: rootName,
    serial: BigInt(`0x${randomBytes(8).toString("hex")}`),
    publicKey: createPublicKey(middle.publicKey),
    issuerKey: createPrivateKey(root.privateKey),
    ca: true,
  });
  const certificate = issueCertificate({
    ...common,
    subject: {
      C: "CN",
      O: UNIONPAY_CERT_OWNER,
      OU: "00040000",
      CN: `041@Z${keys.platform.serial}@${UNIONPAY_CERT_OWNER}@00000001`,
    },
    issuer: middleName,
    serial: BigInt(keys.platform.serial),
    publicKey: createPublicKey(keys.platform.publicKey),
    issuerKey: middleKey,
    ca: false,
  });
  return { ...keys, rootCert, middleCert, platform: { ...keys.platform, certificate } };
}

/**
 * Fresh RSA-2048 test keys for all three channels (six key pairs, generated off the main thread), plus
 * UnionPay's simulated root → middle → signing certificate chain.
 * @example
 * const keys = await generateChannelKeys();
 * await sql`insert into payment_channel_keys (id, keys) values ('default', ${sql.json(keys)})`;
 */
export async function generateChannelKeys(): Promise<SimulatedChannelKeys> {
  const [wechat, alipay, unionpay] = await Promise.all([
    keySet("wechat"),
    keySet("alipay"),
    keySet("unionpay"),
  ]);
  // The APIv3 key is 32 ASCII characters used directly as the AES-256 key, as WeChat issues it.
  const apiV3Key = randomBytes(24).toString("base64url");
  return { wechat: { ...wechat, apiV3Key }, alipay, unionpay: await withUnionpayCertificates(unionpay) };
}
