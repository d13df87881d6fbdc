import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** The events integrators can subscribe to. */
export const WEBHOOK_EVENT_TYPES = ["notification.raised", "notification.acknowledged"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`. */
export const signatureHeader = "x-hub-signature";

/**
 * Signs a delivery body: HMAC-SHA256 over `<timestamp>.<body>` (the timestamp in unix seconds).
 * @example signWebhook("s3cret", '{"id":"…"}', 1764470000) // "t=1764470000,v1=9f…"
 */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex");
  return `t=${timestampSeconds},v1=${mac}`;
}

/**
 * What a receiver does: recompute the HMAC and compare in constant time, refusing a timestamp older or
 * newer than `toleranceSeconds` (replayed captures).
 */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.get("t"));
  const v1 = parts.get("v1") ?? "";
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).slice(`t=${t},v1=`.length), "hex");
  const given = Buffer.from(v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The delivery of one event to one subscription (a stable actor id: the dispatcher may hand it over twice). */
export function webhookDeliveryId(subscription: string, eventId: string): string {
  return `${subscription}:${createHash("sha256").update(eventId).digest("hex").slice(0, 20)}`;
}
