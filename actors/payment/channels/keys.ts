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
import { generateKeyPair, randomBytes } from "node:crypto";
import type { ChannelName } from "./channel.ts";
import { derivedDigits } from "./wire.ts";

export interface MerchantKey {
  /** WeChat: the merchant certificate serial; UnionPay: the signing certificate's `certId`. */
  serial: string;
  publicKey: string;
  privateKey: string;
}

export interface PlatformKey {
  /** WeChat: `Wechatpay-Serial`; UnionPay: the `certId` on callbacks. Alipay's public-key mode has none. */
  serial: string;
  publicKey: string;
  /** Simulation only: without it the channel still verifies, but cannot fake callbacks. */
  privateKey?: string;
}

export interface ChannelKeySet {
  merchant: MerchantKey;
  platform: PlatformKey;
}

export interface ChannelKeys {
  /** `apiV3Key`: the 32-character secret that AES-256-GCM-encrypts callback resources. */
  wechat: ChannelKeySet & { apiV3Key: string };
  alipay: ChannelKeySet;
  unionpay: ChannelKeySet;
}

/** What `generateChannelKeys` returns: platform private keys are always present. */
export type SimulatedChannelKeys = {
  [C in keyof ChannelKeys]: ChannelKeys[C] & { platform: Required<PlatformKey> };
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

// Serials in each channel's own shape: WeChat 40 hex digits, UnionPay an 11-digit decimal certId.
function serialFor(channel: ChannelName): string {
  if (channel === "wechat") return randomBytes(20).toString("hex").toUpperCase();
  return derivedDigits(randomBytes(16).toString("hex"), 11);
}

async function keySet(channel: ChannelName): Promise<SimulatedChannelKeys[ChannelName]> {
  const [merchant, platform] = await Promise.all([rsaPair(), rsaPair()]);
  return {
    merchant: { serial: serialFor(channel), ...merchant },
    platform: { serial: serialFor(channel), ...platform },
  };
}

/**
 * Fresh RSA-2048 test keys for all three channels (six key pairs, generated off the main thread).
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
  return { wechat: { ...wechat, apiV3Key }, alipay, unionpay };
}
