/**
 * Payment channels: one `PaymentChannel` interface, with WeChat Pay, Alipay and UnionPay simulators
 * that sign exactly as the real channels do. Named exports only.
 */
import { AlipayChannel, type AlipayOptions } from "./alipay.ts";
import type { ChannelName, ChannelSimulator, PaymentChannel } from "./channel.ts";
import type { ChannelKeys } from "./keys.ts";
import { UnionpayChannel, type UnionpayOptions } from "./unionpay.ts";
import { WechatChannel, type WechatOptions } from "./wechat.ts";

export interface ChannelsOptions {
  /** One clock for all three channels (signing timestamps, WeChat replay window). */
  now?: () => Date;
  wechat?: Partial<WechatOptions>;
  alipay?: Partial<AlipayOptions>;
  unionpay?: Partial<UnionpayOptions>;
}

export type SimulatedChannel = PaymentChannel & ChannelSimulator;

/**
 * Builds all three channels from stored keys. Throws `ChannelInputError` at once if a key is not PEM.
 * @example
 * const channels = createChannels(await generateChannelKeys());
 * const params = channels.alipay.createPayment({ paymentId, orderId, amount: 1999, description, notifyUrl });
 * const callback = channels.alipay.simulateCallback({ paymentId, amount: 1999 });
 * channels.alipay.verifyCallback(callback); // { paymentId, amount: 1999, status: "paid", … }
 */
export function createChannels(
  keys: ChannelKeys,
  options: ChannelsOptions = {},
): Record<ChannelName, SimulatedChannel> {
  const clock = options.now ? { now: options.now } : {};
  return {
    wechat: new WechatChannel(keys.wechat, { ...clock, ...options.wechat }),
    alipay: new AlipayChannel(keys.alipay, { ...clock, ...options.alipay }),
    unionpay: new UnionpayChannel(keys.unionpay, { ...clock, ...options.unionpay }),
  };
}

export { AlipayChannel, type AlipayOptions } from "./alipay.ts";
export {
  type AcceptedPayment,
  type CallbackReply,
  type CallbackStatus,
  CHANNEL_NAMES,
  ChannelInputError,
  type ChannelName,
  ChannelSignatureError,
  type ChannelSimulator,
  type ClientPaymentParams,
  type PaymentChannel,
  type PaymentRequest,
  type RefundRequest,
  type RefundResult,
  type SignatureFailure,
  type SimulatedPayment,
  type StatementEntry,
  type VerifiedCallback,
} from "./channel.ts";
export {
  type ChannelKeySet,
  type ChannelKeys,
  generateChannelKeys,
  type MerchantKey,
  type PlatformKey,
  type SimulatedChannelKeys,
  UNIONPAY_CERT_OWNER,
  type UnionpayKeySet,
  withUnionpayCertificates,
} from "./keys.ts";
export { UnionpayChannel, type UnionpayOptions } from "./unionpay.ts";
export { WechatChannel, type WechatOptions } from "./wechat.ts";
export { fenToYuan, yuanToFen } from "./wire.ts";
