/**
 * Wire-format helpers shared by the channels: exact yuan⇄fen conversion, China-time timestamps, form
 * bodies, the sorted `k=v&k=v` signing string, and RSA-SHA256 with strict base64.
 */
import { Buffer } from "node:buffer";
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { ChannelInputError, ChannelSignatureError } from "./channel.ts";

const YUAN = /^(0|[1-9]\d*)(?:\.(\d{1,2}))?$/;
const FEN = /^(0|[1-9]\d*)$/;

/**
 * `"12.34"` → `1234`. Parses the digits rather than multiplying a float, which would turn 19.99
 * into 1998.9999…; anything but a plain non-negative decimal with ≤ 2 places is `undefined`.
 * @example yuanToFen("0.01") // 1
 */
export function yuanToFen(yuan: string): number | undefined {
  const m = YUAN.exec(yuan);
  if (!m) return undefined;
  const fen = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  return Number.isSafeInteger(fen) ? fen : undefined;
}

/**
 * `1234` → `"12.34"`, with exactly two decimals as Alipay and statement files expect.
 * @example fenToYuan(1999) // "19.99"
 */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new ChannelInputError("amount", `not fen: ${fen}`);
  const cents = fen % 100;
  // (fen - cents) is an exact multiple of 100, so the division is exact, unlike Math.floor(fen / 100).
  return `${(fen - cents) / 100}.${String(cents).padStart(2, "0")}`;
}

/** `"1999"` → `1999`; strict, so `"1e3"`, `"01"`, `"1.0"` and `" 1"` are refused. */
export function parseFen(text: string): number | undefined {
  if (!FEN.test(text)) return undefined;
  const fen = Number(text);
  return Number.isSafeInteger(fen) ? fen : undefined;
}

export function assertAmount(amount: number, field = "amount"): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new ChannelInputError(field, `${field} must be a positive integer number of fen, got ${amount}`);
  }
}

export function assertId(value: string, pattern: RegExp, field: string): void {
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new ChannelInputError(field, `${field} ${JSON.stringify(value)} does not match ${pattern}`);
  }
}

/** The checks every channel makes on a refund request; only the id rules differ per channel. */
export function assertRefund(
  req: { refundId: string; paymentId: string; amount: number; channelTxnId: string },
  rules: { refundId: RegExp; paymentId: RegExp },
): void {
  assertId(req.refundId, rules.refundId, "refundId");
  assertId(req.paymentId, rules.paymentId, "paymentId");
  assertAmount(req.amount);
  if (!req.channelTxnId) throw new ChannelInputError("channelTxnId", "required");
}

// Chinese channels stamp times in China Standard Time (UTC+8, no daylight saving) without a zone.
const CST_MS = 8 * 3600_000;

function cstParts(at: Date): string[] {
  const d = new Date(at.getTime() + CST_MS);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return [
    p(d.getUTCFullYear(), 4),
    p(d.getUTCMonth() + 1),
    p(d.getUTCDate()),
    p(d.getUTCHours()),
    p(d.getUTCMinutes()),
    p(d.getUTCSeconds()),
  ];
}

/** `2024-05-01 08:00:00` (Alipay), `20240501080000` (UnionPay) or `2024-05-01T08:00:00+08:00` (WeChat). */
export function formatCst(at: Date, style: "alipay" | "unionpay" | "rfc3339"): string {
  const [y, mo, d, h, mi, s] = cstParts(at);
  if (style === "unionpay") return `${y}${mo}${d}${h}${mi}${s}`;
  if (style === "alipay") return `${y}-${mo}-${d} ${h}:${mi}:${s}`;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`;
}

const CST_TIME = /^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})(?:\.\d{1,3})?$/;

/** Parses an Alipay or UnionPay China-time stamp; `undefined` if it is not one. */
export function parseCst(text: string): Date | undefined {
  const m = CST_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s) - CST_MS);
  // Date.UTC rolls 2024-02-30 over to March; a stamp that does not round-trip is not a real time.
  return formatCst(at, "unionpay") === `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6]}` ? at : undefined;
}

/** Statement `date` argument: one calendar day. */
export function assertDay(date: string): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !parseCst(`${date} 00:00:00`)) {
    throw new ChannelInputError("date", `date must be YYYY-MM-DD, got ${JSON.stringify(date)}`);
  }
}

export function encodeForm(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** Decodes a form body; a repeated key is refused, since which copy was signed would be ambiguous. */
export function decodeForm(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    if (Object.hasOwn(out, k)) throw new ChannelSignatureError("malformed", `repeated form field ${k}`);
    out[k] = v;
  }
  return out;
}

/**
 * The string Alipay and UnionPay sign: keys sorted by code unit, minus `exclude`, joined `k=v&k=v` with
 * raw (decoded, not re-encoded) values. Empty values are skipped unless `keepEmpty`: Alipay signs
 * requests without them but verifies notifies with them (its SDKs' `getSignCheckContentV1` keeps every
 * param), and UnionPay never sends an empty field (its SDK drops empty ones before verifying).
 */
export function signingString(
  params: Record<string, string>,
  exclude: readonly string[],
  options: { keepEmpty?: boolean } = {},
): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && (options.keepEmpty || params[k] !== ""))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${params[k]}`)
    .join("&");
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** UnionPay 5.0.0 still hashes with SHA-1 before signing; nothing else here does. */
export function sha1Hex(text: string): string {
  return createHash("sha1").update(text, "utf8").digest("hex");
}

/** Parses PEM once, up front, so a bad key fails at wiring time, not on the first callback. */
export function privateKey(pem: string | undefined, field: string): KeyObject | undefined {
  if (pem === undefined) return undefined;
  try {
    return createPrivateKey(pem);
  } catch {
    throw new ChannelInputError(field, `${field} is not a PEM private key`);
  }
}

export function publicKey(pem: string, field: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch {
    throw new ChannelInputError(field, `${field} is not a PEM public key`);
  }
}

/** RSA PKCS#1 v1.5: SHA-256 is what all three channels call RSA2 / SHA256withRSA; SHA-1 only for UnionPay 5.0.0. */
export type RsaHash = "sha256" | "sha1";

export function rsaSign(key: KeyObject, message: string, hash: RsaHash = "sha256"): string {
  return sign(hash, Buffer.from(message, "utf8"), key).toString("base64");
}

/** The same signature, computed on the thread pool: an RSA-2048 signature costs the caller's loop ~1 ms. */
export function rsaSignAsync(key: KeyObject, message: string, hash: RsaHash = "sha256"): Promise<string> {
  return new Promise((resolve, reject) =>
    sign(hash, Buffer.from(message, "utf8"), key, (error, signature) =>
      error ? reject(error) : resolve(signature.toString("base64")),
    ),
  );
}

/** One RSA signature a channel operation needs. */
export interface SignatureRequest {
  key: KeyObject;
  message: string;
  hash?: RsaHash;
}

/**
 * A channel operation written once, yielding each signature it needs: `signNow` runs it on the caller's
 * thread, `signOffThread` with the signatures on the thread pool (same result, RSA PKCS#1 v1.5 is
 * deterministic).
 */
export type Signing<T> = Generator<SignatureRequest, T, string>;

export function signNow<T>(steps: Signing<T>): T {
  let step = steps.next();
  while (!step.done) step = steps.next(rsaSign(step.value.key, step.value.message, step.value.hash));
  return step.value;
}

export async function signOffThread<T>(steps: Signing<T>): Promise<T> {
  let step = steps.next();
  while (!step.done)
    step = steps.next(await rsaSignAsync(step.value.key, step.value.message, step.value.hash));
  return step.value;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Node's base64 decoder skips junk characters; a strict check keeps one signature from having many spellings. */
export function rsaVerify(
  key: KeyObject,
  message: string,
  signature: string,
  hash: RsaHash = "sha256",
): boolean {
  if (signature === "" || !BASE64.test(signature)) return false;
  return verify(hash, Buffer.from(message, "utf8"), key, Buffer.from(signature, "base64"));
}

/** A stable numeric id shaped like the channel's (e.g. 28-digit WeChat transaction ids). */
export function derivedDigits(seed: string, length: number): string {
  let hex = sha256Hex(seed);
  while (hex.length < length) hex += sha256Hex(hex);
  return [...hex.slice(0, length)].map((c) => String(Number.parseInt(c, 16) % 10)).join("");
}

/** Headers are case-insensitive in HTTP; frameworks hand them over in any case. */
export function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

/** Statement cells are ids, digits and timestamps from fixed alphabets, so plain comma-splitting is exact. */
export function csvRows(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split(","));
}
