import { createHmac, timingSafeEqual } from "node:crypto";
import { isValidId } from "../shared/index.ts";

/**
 * Signed, expiring preview links (decision 0038): `<payload>.<mac>`, the payload base64url of
 * `slug \n version \n expiry-ms`, the mac HMAC-SHA256 of the payload under the cluster's preview key.
 * Whoever holds the link may read that one version of that page until it expires; nothing else.
 */

/** Default lifetime of a preview link, seconds. */
export const PREVIEW_TTL_DEFAULT = 3_600;
/** The longest a preview link may live, seconds (a longer `ttlSeconds` is capped to it). */
export const PREVIEW_TTL_MAX = 7 * 24 * 3_600;

export interface PreviewGrant {
  slug: string;
  version: number;
  /** Expiry, ms since epoch. */
  expiresAt: number;
}

export type PreviewCheck = { ok: true; grant: PreviewGrant } | { ok: false; reason: "invalid" | "expired" };

const mac = (key: Uint8Array, payload: string) =>
  createHmac("sha256", key).update(payload).digest().toString("base64url");

export function signPreview(key: Uint8Array, grant: PreviewGrant): string {
  const payload = Buffer.from(`${grant.slug}\n${grant.version}\n${grant.expiresAt}`).toString("base64url");
  return `${payload}.${mac(key, payload)}`;
}

/** A token this key signed and that has not expired at `now`; anything else says why not. */
export function verifyPreview(key: Uint8Array, token: string, now: number): PreviewCheck {
  const parts = token.split(".");
  if (
    parts.length !== 2 ||
    !/^[A-Za-z0-9_-]{1,400}$/.test(parts[0]!) ||
    !/^[A-Za-z0-9_-]{43}$/.test(parts[1]!)
  )
    return { ok: false, reason: "invalid" };
  const [payload, given] = parts as [string, string];
  const expected = Buffer.from(mac(key, payload));
  if (!timingSafeEqual(expected, Buffer.from(given))) return { ok: false, reason: "invalid" };
  const fields = Buffer.from(payload, "base64url").toString().split("\n");
  const [slug, version, expiresAt] = fields;
  if (
    fields.length !== 3 ||
    !slug ||
    !isValidId(slug) ||
    !/^[1-9][0-9]{0,5}$/.test(version ?? "") ||
    !/^[0-9]{1,15}$/.test(expiresAt ?? "")
  )
    return { ok: false, reason: "invalid" };
  if (Number(expiresAt) <= now) return { ok: false, reason: "expired" };
  return { ok: true, grant: { slug, version: Number(version), expiresAt: Number(expiresAt) } };
}
