/**
 * The pure parts of CMS experiments and previews (decision 0038): the two-proportion z-test against
 * values computed independently (Python's math.erfc), the assignment's stability and split, and the
 * preview token's expiry and tamper checks.
 */
import { describe, expect, test } from "bun:test";
import { assignVariant, bucketOf, readout, twoProportionTest } from "./experiment.ts";
import { signPreview, verifyPreview } from "./preview-token.ts";

describe("cms experiments", () => {
  test("cms experiments - the z-test matches known values (z, two-sided p, significance at 95 %)", () => {
    // [x0, n0, x1, n1, z, p] from math.erfc in Python (pooled standard error).
    const known: Array<[number, number, number, number, number, number]> = [
      [200, 1000, 250, 1000, 2.677397763008329, 0.007419649261025693],
      [100, 1000, 110, 1000, 0.7294219615409074, 0.46574358793363524],
      [50, 500, 30, 500, -2.331262020600785, 0.019739547569938138],
      [320, 4000, 400, 4000, 3.12538153958997, 0.0017757457504107325],
    ];
    for (const [x0, n0, x1, n1, z, p] of known) {
      const got = twoProportionTest({ clicks: x0, exposures: n0 }, { clicks: x1, exposures: n1 });
      const what = `${x1}/${n1} vs ${x0}/${n0}: ${JSON.stringify(got)}`;
      expect(got, what).not.toBeNull();
      expect(Math.abs(got!.z - z), what).toBeLessThan(1e-9);
      expect(Math.abs(got!.pValue - p), what).toBeLessThan(1e-6);
      expect(got!.significant, what).toBe(p < 0.05);
    }
    // Nothing to test without exposures or without variance.
    expect(twoProportionTest({ clicks: 0, exposures: 0 }, { clicks: 1, exposures: 2 })).toBeNull();
    expect(twoProportionTest({ clicks: 0, exposures: 10 }, { clicks: 0, exposures: 10 })).toBeNull();
    const rows = readout(
      [
        { key: "control", weight: 1 },
        { key: "b", weight: 1, version: 2 },
      ],
      [
        { key: "b", exposures: 1000, clicks: 250 },
        { key: "control", exposures: 1000, clicks: 200 },
      ],
    );
    expect(rows[0]).toMatchObject({ key: "control", control: true, rate: 0.2, test: null });
    expect(rows[1]).toMatchObject({ key: "b", control: false, rate: 0.25, test: { significant: true } });
  });

  test("cms experiments - assignment is stable per (experiment, visitor) and the split follows the weights", () => {
    const variants = [
      { key: "control", weight: 70 },
      { key: "b", weight: 20 },
      { key: "c", weight: 10 },
    ];
    const seen = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const visitor = `visitor-${i}`;
      const v = assignVariant("exp-1", variants, visitor).key;
      expect(assignVariant("exp-1", variants, visitor).key).toBe(v);
      seen.set(v, (seen.get(v) ?? 0) + 1);
    }
    const shares = Object.fromEntries([...seen].map(([k, c]) => [k, c / n]));
    // 20 000 visitors: each share within 1.5 points of its weight (≥ 5 standard deviations).
    expect(Math.abs(shares.control! - 0.7), JSON.stringify(shares)).toBeLessThan(0.015);
    expect(Math.abs(shares.b! - 0.2), JSON.stringify(shares)).toBeLessThan(0.015);
    expect(Math.abs(shares.c! - 0.1), JSON.stringify(shares)).toBeLessThan(0.015);
    // A fixed point: the hash is sha256, not a per-process seed (same on every node and after restarts).
    expect(bucketOf("exp-1", "visitor-0")).toBe(bucketOf("exp-1", "visitor-0"));
    // Computed independently: int(sha256(b"exp-1\x00visitor-0")[:6]) / 2**48 in Python.
    expect(bucketOf("exp-1", "visitor-0").toFixed(12)).toBe("0.343749213628");
    // Another experiment shuffles visitors independently.
    let same = 0;
    for (let i = 0; i < 1000; i++)
      if (bucketOf("exp-1", `v${i}`) < 0.5 === bucketOf("exp-2", `v${i}`) < 0.5) same++;
    expect(same).toBeGreaterThan(400);
    expect(same).toBeLessThan(600);
    // A zero weight gets nobody.
    const off = [
      { key: "control", weight: 1 },
      { key: "off", weight: 0 },
    ];
    for (let i = 0; i < 500; i++) expect(assignVariant("exp-3", off, `v${i}`).key).toBe("control");
  });

  test("cms previews - a token reads back until it expires; a tampered or foreign token is invalid", () => {
    const key = new Uint8Array(32).fill(1);
    const now = 1_800_000_000_000;
    const token = signPreview(key, { slug: "spring", version: 3, expiresAt: now + 60_000 });
    expect(verifyPreview(key, token, now)).toEqual({
      ok: true,
      grant: { slug: "spring", version: 3, expiresAt: now + 60_000 },
    });
    expect(verifyPreview(key, token, now + 60_000)).toEqual({ ok: false, reason: "expired" });
    // Another version, slug or expiry under the same signature.
    const [, mac] = token.split(".");
    for (const forged of [
      { slug: "spring", version: 4, expiresAt: now + 60_000 },
      { slug: "summer", version: 3, expiresAt: now + 60_000 },
      { slug: "spring", version: 3, expiresAt: now + 6_000_000 },
    ]) {
      const payload = signPreview(key, forged).split(".")[0];
      expect(verifyPreview(key, `${payload}.${mac}`, now)).toEqual({ ok: false, reason: "invalid" });
    }
    expect(verifyPreview(new Uint8Array(32).fill(2), token, now)).toEqual({ ok: false, reason: "invalid" });
    for (const junk of ["", ".", "abc", `${token}x`, `${token}.x`, token.replace(".", "")])
      expect(verifyPreview(key, junk, now), junk).toEqual({ ok: false, reason: "invalid" });
  });
});
