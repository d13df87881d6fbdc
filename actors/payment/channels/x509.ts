/**
 * A tiny X.509 v3 certificate issuer (DER by hand, RSA-SHA256), so the UnionPay simulator can play a
 * real CA chain (root → middle → signing certificate) without OpenSSL at run time. Only the simulator
 * issues certificates; verification uses node:crypto's `X509Certificate`, never this file.
 */
import { Buffer } from "node:buffer";
import { type KeyObject, sign } from "node:crypto";

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, content: Buffer): Buffer =>
  Buffer.concat([Buffer.from([tag]), length(content.length), content]);
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);
const octets = (content: Buffer) => tlv(0x04, content);
const bits = (content: Buffer, unusedBits = 0) =>
  tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), content]));
const TRUE = tlv(0x01, Buffer.from([0xff]));
const NULL = Buffer.from([0x05, 0x00]);

function integer(value: bigint): Buffer {
  if (value < 0n) throw new RangeError("only non-negative integers are encoded");
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, "hex");
  // DER integers are signed: a leading 1 bit would make the serial negative.
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number) as [number, number, ...number[]];
  const out = [a * 40 + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime up to 2049, GeneralizedTime after, as RFC 5280 §4.1.2.5 requires. */
function time(at: Date): Buffer {
  const iso = at.toISOString().replace(/[-:T]/g, "").slice(0, 14); // YYYYMMDDHHMMSS
  const year = at.getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

export interface DistinguishedName {
  C?: string;
  O?: string;
  OU?: string;
  CN: string;
}

const NAME_OIDS: Array<[keyof DistinguishedName, string]> = [
  ["C", "2.5.4.6"],
  ["O", "2.5.4.10"],
  ["OU", "2.5.4.11"],
  ["CN", "2.5.4.3"],
];

function name(dn: DistinguishedName): Buffer {
  const rdns = NAME_OIDS.filter(([key]) => dn[key] !== undefined).map(([key, id]) =>
    // Country is a PrintableString; the rest UTF8String, so Chinese owner names survive.
    set(seq(oid(id), tlv(key === "C" ? 0x13 : 0x0c, Buffer.from(dn[key]!, "utf8")))),
  );
  return seq(...rdns);
}

const SHA256_WITH_RSA = seq(oid("1.2.840.113549.1.1.11"), NULL);

export interface CertificateRequest {
  subject: DistinguishedName;
  issuer: DistinguishedName;
  serial: bigint;
  notBefore: Date;
  notAfter: Date;
  /** The certified key. */
  publicKey: KeyObject;
  /** The issuer's private key (the subject's own for a self-signed root). */
  issuerKey: KeyObject;
  /** A CA may sign certificates (root, middle); an end-entity only data. */
  ca: boolean;
}

/**
 * Issues an RSA-SHA256 X.509 v3 certificate and returns it as PEM.
 * @example
 * const pem = issueCertificate({ subject: { CN: "Root" }, issuer: { CN: "Root" }, serial: 1n, ... , ca: true });
 * new X509Certificate(pem).ca // true
 */
export function issueCertificate(req: CertificateRequest): string {
  const basicConstraints = req.ca ? seq(TRUE) : seq();
  // keyUsage: keyCertSign + cRLSign for CAs; digitalSignature + nonRepudiation for a signing certificate.
  const keyUsage = req.ca ? bits(Buffer.from([0x06]), 1) : bits(Buffer.from([0xc0]), 6);
  const extensions = seq(
    seq(oid("2.5.29.19"), TRUE, octets(basicConstraints)),
    seq(oid("2.5.29.15"), TRUE, octets(keyUsage)),
  );
  const tbs = seq(
    explicit(0, integer(2n)),
    integer(req.serial),
    SHA256_WITH_RSA,
    name(req.issuer),
    seq(time(req.notBefore), time(req.notAfter)),
    name(req.subject),
    req.publicKey.export({ type: "spki", format: "der" }),
    explicit(3, extensions),
  );
  const signature = sign("sha256", tbs, req.issuerKey);
  const der = seq(tbs, SHA256_WITH_RSA, bits(signature));
  const body = der.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN CERTIFICATE-----\n${body.trimEnd()}\n-----END CERTIFICATE-----\n`;
}
