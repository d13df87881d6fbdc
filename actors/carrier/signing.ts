import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** How far a signed request's or webhook's timestamp may be from now (replay window). */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;

const sha256 = (body: string) => createHash("sha256").update(body).digest("hex");
const hmac = (secret: string, payload: string) =>
  createHmac("sha256", secret).update(payload).digest("base64");

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The headers of a merchant → carrier request: app key, timestamp, nonce and HMAC-SHA256 signature. */
export function signRequest(
  key: { appKey: string; secret: string },
  req: { method: string; path: string; body: string },
  now: number,
  nonce: string,
): Record<string, string> {
  const timestamp = String(now);
  const payload = [req.method, req.path, timestamp, nonce, sha256(req.body)].join("\n");
  return {
    "x-app-key": key.appKey,
    "x-timestamp": timestamp,
    "x-nonce": nonce,
    "x-signature": hmac(key.secret, payload),
  };
}

/** The carrier's check of a merchant request: why it is refused, or undefined when it is genuine. */
export function verifyRequest(
  key: { appKey: string; secret: string },
  req: { method: string; path: string; body: string; headers: Record<string, string> },
  now: number,
): string | undefined {
  const h = req.headers;
  if (h["x-app-key"] !== key.appKey) return "unknown app key";
  const timestamp = Number(h["x-timestamp"]);
  if (!Number.isFinite(timestamp) || Math.abs(now - timestamp) > SIGNATURE_WINDOW_MS)
    return "stale timestamp";
  const payload = [req.method, req.path, h["x-timestamp"], h["x-nonce"] ?? "", sha256(req.body)].join("\n");
  return equal(hmac(key.secret, payload), h["x-signature"] ?? "") ? undefined : "bad signature";
}

/** The headers a carrier signs its webhook with: `x-carrier-timestamp`, `x-carrier-signature`. */
export function signWebhook(secret: string, body: string, now: number): Record<string, string> {
  const timestamp = String(now);
  return {
    "x-carrier-timestamp": timestamp,
    "x-carrier-signature": hmac(secret, `${timestamp}.${body}`),
  };
}

/** Our check of a carrier's webhook: why it is refused, or undefined when it is genuine and fresh. */
export function verifyWebhook(
  secret: string,
  body: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  now: number,
): string | undefined {
  if (!headers.timestamp || !headers.signature) return "missing x-carrier-timestamp or x-carrier-signature";
  const timestamp = Number(headers.timestamp);
  if (!/^\d{1,15}$/.test(headers.timestamp) || Math.abs(now - timestamp) > SIGNATURE_WINDOW_MS)
    return "timestamp outside the replay window";
  return equal(hmac(secret, `${headers.timestamp}.${body}`), headers.signature) ? undefined : "bad signature";
}
