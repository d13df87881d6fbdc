import { describe, expect, test } from "bun:test";
import { type FreightTemplate, freightOf, freightTemplateBody, regionOfAddress } from "./index.ts";

const measure = (
  weightGrams: number,
  extra: Partial<{ volumeCm3: number; pieces: number; goods: number }> = {},
) => ({
  weightGrams,
  volumeCm3: 0,
  pieces: 1,
  goods: 1_000,
  ...extra,
});

/** 1 kg for 800 fen, each further 500 g started 200 fen; Shanghai (310000) cheaper; Tibet excluded. */
const byWeight: FreightTemplate = {
  code: "T-W",
  warehouse: "WH-SH",
  basis: "weight",
  rules: [
    { regions: ["310000"], first: 1_000, firstFee: 500, additional: 500, additionalFee: 100 },
    { regions: ["*"], first: 1_000, firstFee: 800, additional: 500, additionalFee: 200 },
    { regions: ["330100"], first: 1_000, firstFee: 600, additional: 1_000, additionalFee: 150 },
  ],
  freeOver: 9_900,
  excluded: ["540000", "650100"],
  volumetricDivisor: 6_000,
};
const fee = (dest: string, m: ReturnType<typeof measure>, t = byWeight) => {
  const q = freightOf(t, dest, m);
  return q.kind === "charged" ? q.fee : q.kind;
};

describe("freight - first and additional units", () => {
  test("freight - at, one gram over and one full step over the first unit", () => {
    expect(fee("110101", measure(1))).toBe(800);
    expect(fee("110101", measure(1_000))).toBe(800);
    // A started additional unit is charged in full.
    expect(fee("110101", measure(1_001))).toBe(1_000);
    expect(fee("110101", measure(1_500))).toBe(1_000);
    expect(fee("110101", measure(1_501))).toBe(1_200);
    expect(fee("110101", measure(10_000))).toBe(800 + 18 * 200);
  });
  test("freight - the most specific region rule wins: province, city, then '*'", () => {
    expect(fee("310104", measure(1_200))).toBe(600); // Shanghai province rule: 500 + 1 × 100
    expect(fee("330106", measure(1_200))).toBe(750); // Hangzhou city rule: 600 + 1 × 150
    expect(fee("330201", measure(1_200))).toBe(1_000); // Ningbo: only '*' covers it
  });
  test("freight - a template without '*' does not price other regions", () => {
    const only: FreightTemplate = { ...byWeight, rules: [byWeight.rules[0]!] };
    expect(freightOf(only, "110101", measure(100)).kind).toBe("no_rule");
  });
});

describe("freight - volumetric weight, volume and pieces", () => {
  test("freight - the heavier of actual and volumetric weight (volume × 1000 / divisor) is charged", () => {
    // 12,000 cm³ / 6000 → 2,000 g volumetric beats 500 g actual: first 1,000 + 2 × 500 g.
    expect(fee("110101", measure(500, { volumeCm3: 12_000 }))).toBe(800 + 2 * 200);
    // 6,001 cm³ → 1,001 g (rounded up): one additional step.
    expect(fee("110101", measure(0, { volumeCm3: 6_001 }))).toBe(1_000);
    // Heavier actual weight wins over a small volume.
    expect(fee("110101", measure(2_600, { volumeCm3: 600 }))).toBe(800 + 4 * 200);
  });
  test("freight - a volume basis charges cm³ steps and a piece basis counts units", () => {
    const vol: FreightTemplate = {
      code: "T-V",
      warehouse: "W",
      basis: "volume",
      rules: [{ regions: ["*"], first: 10_000, firstFee: 1_000, additional: 5_000, additionalFee: 300 }],
    };
    expect(fee("110101", measure(99_000, { volumeCm3: 10_000 }), vol)).toBe(1_000);
    expect(fee("110101", measure(0, { volumeCm3: 10_001 }), vol)).toBe(1_300);
    const piece: FreightTemplate = {
      code: "T-P",
      warehouse: "W",
      basis: "piece",
      rules: [{ regions: ["*"], first: 2, firstFee: 600, additional: 1, additionalFee: 250 }],
    };
    expect(fee("110101", measure(0, { pieces: 2 }), piece)).toBe(600);
    expect(fee("110101", measure(0, { pieces: 3 }), piece)).toBe(850);
  });
});

describe("freight - free shipping threshold and remote exclusions", () => {
  test("freight - goods at the threshold ship free, one fen below pay", () => {
    expect(freightOf(byWeight, "110101", measure(3_000, { goods: 9_900 })).kind).toBe("free");
    expect(fee("110101", measure(3_000, { goods: 9_899 }))).toBe(800 + 4 * 200);
  });
  test("freight - an excluded province or city is not served, even over the threshold", () => {
    const q = freightOf(byWeight, "540102", measure(100, { goods: 50_000 }));
    expect(q.kind).toBe("excluded");
    expect(q.reason).toContain("540000");
    expect(freightOf(byWeight, "650102", measure(100)).kind).toBe("excluded");
    expect(fee("650200", measure(100))).toBe(800); // Karamay: another city of Xinjiang
  });
});

describe("freight - template validation and address codes", () => {
  test("freight - bad codes, a region in two rules and a divisor on a piece basis are refused", () => {
    const base = {
      warehouse: "W",
      basis: "weight",
      rules: [{ regions: ["310000"], first: 1, firstFee: 1, additional: 1, additionalFee: 1 }],
    };
    expect(freightTemplateBody.safeParse(base).success).toBe(true);
    const bad = (x: object) => freightTemplateBody.safeParse({ ...base, ...x }).success;
    expect(bad({ rules: [{ ...base.rules[0], regions: ["31000"] }] })).toBe(false);
    expect(bad({ rules: [base.rules[0], base.rules[0]] })).toBe(false);
    expect(bad({ basis: "piece", volumetricDivisor: 6000 })).toBe(false);
    expect(bad({ rules: [{ ...base.rules[0], additional: 0 }] })).toBe(false);
  });
  test("freight - the address region carries a leading GB/T 2260 code", () => {
    expect(regionOfAddress("310104")).toBe("310104");
    expect(regionOfAddress("310104 上海市徐汇区")).toBe("310104");
    expect(regionOfAddress("Shanghai")).toBeUndefined();
    expect(regionOfAddress("3101045")).toBeUndefined();
  });
});
