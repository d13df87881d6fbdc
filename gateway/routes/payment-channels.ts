import { z } from "zod";
import { CHANNEL_NAMES, type ChannelName } from "../../actors/payment/channels/index.ts";

/** The channel named in a path, if it is one we know. */
export const channelNamed = (name: string | undefined): ChannelName | undefined =>
  CHANNEL_NAMES.find((known) => known === name);

export const channelEnum = z.enum(CHANNEL_NAMES);

/** What `POST /v1/payments` answers: the payment and the signed parameters for the channel's client SDK. */
export const paymentStartedSchema = z.object({
  paymentId: z.string(),
  orderId: z.string(),
  channel: channelEnum,
  amount: z.number().int().describe("Fen"),
  params: z.discriminatedUnion("channel", [
    z.object({
      channel: z.literal("wechat"),
      appId: z.string(),
      timeStamp: z.string(),
      nonceStr: z.string(),
      package: z.string(),
      signType: z.literal("RSA"),
      paySign: z.string(),
    }),
    z.object({ channel: z.literal("alipay"), orderString: z.string() }),
    z.object({ channel: z.literal("unionpay"), fields: z.record(z.string(), z.string()) }),
  ]),
});

/** A payment as its actor reports it; more members may follow. */
export const paymentViewSchema = z.looseObject({
  paymentId: z.string(),
  status: z.enum(["created", "paid", "failed", "refunded", "partially_refunded"]),
  orderId: z.string(),
  amount: z.number().int().describe("Fen"),
  channel: channelEnum,
  channelTxnId: z.string().nullable(),
  refunded: z.number().int(),
});

const wechatRefusal = z.object({ code: z.literal("FAIL"), message: z.string() });

/**
 * What a callback (or the simulator replaying one) is answered, in the calling channel's own format:
 * each channel retries until it reads its own success answer.
 */
export const callbackResponseDocs = {
  response: {
    status: 200,
    contentType: "text/plain",
    schema: z.enum(["success", "fail", "ok"]),
    description:
      "Alipay: `success` when handled, `fail` when refused (Alipay retries); UnionPay: `ok` when handled",
  },
  responses: [
    { status: 204, description: "WeChat Pay: handled (no body)" },
    {
      status: 400,
      description:
        "Signature or content refused, in the channel's format: `fail`, or WeChat's `{ code: FAIL }`",
      content: { "text/plain": z.literal("fail"), "application/json": wechatRefusal },
    },
    {
      status: 500,
      description:
        "Verified but refused (e.g. an amount that does not match): UnionPay `fail`, WeChat `{ code: FAIL }`",
      content: { "text/plain": z.literal("fail"), "application/json": wechatRefusal },
    },
  ],
};
