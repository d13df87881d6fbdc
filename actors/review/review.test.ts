import { expect, test } from "bun:test";
import {
  firstBlockedWord,
  imageRef,
  MAX_BLOCKED_WORD_LENGTH,
  matchingForm,
  normaliseBlockedWords,
  ratingStats,
  reviewableLine,
  reviewText,
} from "./index.ts";

test("review rules - matching form: NFKC, lower case, no invisible format characters; Chinese unchanged", () => {
  expect(matchingForm("ＳＰＡＭ")).toBe("spam");
  expect(matchingForm("Sp\u200bA\u200dm")).toBe("spam");
  expect(matchingForm("碎花连衣裙")).toBe("碎花连衣裙");
  expect(matchingForm("㍿")).toBe("株式会社");
  expect(matchingForm("①")).toBe("1");
});

test("review rules - blocked words match as substrings after normalisation, Chinese included", () => {
  const words = normaliseBlockedWords(["广告", "ＶＸ", "  加微信  ", "广告", ""]);
  expect(words).toEqual({ ok: true, words: ["广告", "vx", "加微信"] });
  const list = words.ok ? words.words : [];
  expect(firstBlockedWord("免费广告位", list)).toBe("广告");
  expect(firstBlockedWord("加我 Vx 领红包", list)).toBe("vx");
  expect(firstBlockedWord("请加\u200b微信", list)).toBe("加微信");
  expect(firstBlockedWord("质量很好", list)).toBeUndefined();
  expect(firstBlockedWord("广\n告", list)).toBeUndefined();
  expect(firstBlockedWord("anything", [])).toBeUndefined();
  // A word too long once normalised is reported by index.
  expect(normaliseBlockedWords(["ok", `${"长".repeat(MAX_BLOCKED_WORD_LENGTH - 1)}㍿`])).toEqual({
    ok: false,
    index: 1,
  });
  // Built-in property names are ordinary words.
  expect(normaliseBlockedWords(["constructor", "__proto__"])).toEqual({
    ok: true,
    words: ["constructor", "__proto__"],
  });
  expect(firstBlockedWord("a __proto__ b", ["__proto__"])).toBe("__proto__");
});

test("review rules - only a line of a completed order is reviewable", () => {
  const lines = [{ sku: "A" }, { sku: "constructor" }];
  for (const status of [
    "pending_payment",
    "awaiting_shipment",
    "shipped",
    "refund_requested",
    "refunded",
    "cancelled",
  ])
    expect(reviewableLine({ status, userId: "u", lines }, "A")).toEqual({
      ok: false,
      reason: "order-not-completed",
      orderStatus: status,
    });
  expect(reviewableLine({ status: "completed", userId: "u", lines }, "A")).toEqual({ ok: true });
  expect(reviewableLine({ status: "completed", userId: "u", lines }, "constructor")).toEqual({ ok: true });
  expect(reviewableLine({ status: "completed", userId: "u", lines }, "toString")).toEqual({
    ok: false,
    reason: "not-an-order-line",
  });
});

test("review rules - rating statistics: count, average to two decimals, histogram", () => {
  expect(ratingStats([0, 0, 0, 0, 0])).toEqual({
    count: 0,
    average: null,
    histogram: { "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 },
  });
  expect(ratingStats([1, 0, 0, 1, 1])).toEqual({
    count: 3,
    average: 3.33,
    histogram: { "1": 1, "2": 0, "3": 0, "4": 1, "5": 1 },
  });
  expect(ratingStats([0, 0, 0, 1, 1]).average).toBe(4.5);
});

test("review rules - texts and image references go through the shared text schema", () => {
  expect(reviewText.safeParse("第一行\n第二行").success).toBe(true);
  for (const bad of ["a\u0000b", "x\u0007", "c1\u0085", "lone\ud800", "  ", "x".repeat(2001)])
    expect(reviewText.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  expect(reviewText.parse("  e\u0301  ")).toBe("é");
  for (const ok of ["https://img.example.com/a.jpg?x=1", "media/2026/a.jpg"])
    expect(imageRef.safeParse(ok).success, ok).toBe(true);
  for (const bad of [
    "http://a/b.jpg",
    "javascript:alert(1)",
    "a b",
    "/etc/passwd",
    "media/../secret",
    "https://a/\u0000",
  ])
    expect(imageRef.safeParse(bad).success, bad).toBe(false);
});
