import { expect, test } from "bun:test";
import {
  base32Decode,
  base32Encode,
  hotp,
  matchTotp,
  newTotpSecret,
  otpauthUri,
  totpCode,
  totpStep,
} from "./totp.ts";

// RFC 6238 appendix B, SHA-1 rows: the 20-byte ASCII key "12345678901234567890", 8 digits.
const RFC_KEY = Buffer.from("12345678901234567890", "ascii");
const RFC_VECTORS: Array<[number, string]> = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

test("totp - RFC 6238 test vectors (SHA-1)", () => {
  for (const [seconds, code] of RFC_VECTORS) {
    expect(hotp(RFC_KEY, totpStep(seconds * 1000), 8), `T=${seconds}`).toBe(code);
    expect(totpCode(base32Encode(RFC_KEY), totpStep(seconds * 1000), 8)).toBe(code);
  }
  // RFC 4226 appendix D: HOTP of the same key, 6 digits, counters 0 and 9.
  expect(hotp(RFC_KEY, 0)).toBe("755224");
  expect(hotp(RFC_KEY, 9)).toBe("520489");
});

test("totp - base32 round trip, new secrets are 160 bits, the otpauth URI names issuer, account and parameters", () => {
  const secret = newTotpSecret();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(base32Encode(base32Decode(secret))).toBe(secret);
  expect(base32Encode(Buffer.from("foobar"))).toBe("MZXW6YTBOI"); // RFC 4648 §10
  expect(otpauthUri("Business Hub", "li@lei", "JBSWY3DPEHPK3PXP")).toBe(
    "otpauth://totp/Business%20Hub:li%40lei?secret=JBSWY3DPEHPK3PXP&issuer=Business+Hub&algorithm=SHA1&digits=6&period=30",
  );
});

test("totp - a code matches within one step of drift, never at or before the last step used", () => {
  const secret = newTotpSecret();
  const now = 1_700_000_000_000;
  const step = totpStep(now);
  expect(matchTotp(secret, totpCode(secret, step), now, -1)).toBe(step);
  expect(matchTotp(secret, totpCode(secret, step - 1), now, -1)).toBe(step - 1);
  expect(matchTotp(secret, totpCode(secret, step + 1), now, -1)).toBe(step + 1);
  expect(matchTotp(secret, totpCode(secret, step - 2), now, -1)).toBeUndefined();
  expect(matchTotp(secret, totpCode(secret, step), now, step)).toBeUndefined(); // replay
  expect(matchTotp(secret, totpCode(secret, step - 1), now, step - 1)).toBeUndefined();
  expect(matchTotp(secret, "12345", now, -1)).toBeUndefined();
});
