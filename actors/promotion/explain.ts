import type { Benefit, Explanation } from "./model.ts";

/** Fen as yuan with two decimals: 1500 → "¥15.00". */
export const yuan = (fen: number) => `¥${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;

/** A percent off as the Chinese 折 a shopper reads: 20 % off → 8折, 15 % off → 8.5折. */
function zhe(percentOff: number): string {
  const tenths = 100 - percentOff;
  return `${tenths % 10 === 0 ? tenths / 10 : (tenths / 10).toFixed(1)}折`;
}

const ordinal = (n: number) =>
  `${n}${n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th")}`;

/** What the benefit is, in words (without the amount saved). */
export function describeBenefit(b: Benefit): Explanation {
  switch (b.type) {
    case "threshold_reduction":
      return b.threshold > 0
        ? {
            "zh-CN": `满${yuan(b.threshold)}减${yuan(b.reduction)}`,
            en: `${yuan(b.reduction)} off ${yuan(b.threshold)} or more`,
          }
        : { "zh-CN": `立减${yuan(b.reduction)}`, en: `${yuan(b.reduction)} off` };
    case "percent_off": {
      const cap = b.maxDiscount === undefined ? null : b.maxDiscount;
      const zhCap = cap === null ? "" : `，最多减${yuan(cap)}`;
      const enCap = cap === null ? "" : `, up to ${yuan(cap)}`;
      return b.threshold > 0
        ? {
            "zh-CN": `满${yuan(b.threshold)}享${zhe(b.percent)}${zhCap}`,
            en: `${b.percent}% off ${yuan(b.threshold)} or more${enCap}`,
          }
        : { "zh-CN": `${zhe(b.percent)}${zhCap}`, en: `${b.percent}% off${enCap}` };
    }
    case "every_n_off": {
      const zhCap = b.maxDiscount === undefined ? "" : `，最多减${yuan(b.maxDiscount)}`;
      const enCap = b.maxDiscount === undefined ? "" : `, up to ${yuan(b.maxDiscount)}`;
      return {
        "zh-CN": `每满${yuan(b.every)}减${yuan(b.reduction)}${zhCap}`,
        en: `${yuan(b.reduction)} off every full ${yuan(b.every)}${enCap}`,
      };
    }
    case "nth_item_price":
      if (b.price !== undefined)
        return {
          "zh-CN": `第${b.n}件${yuan(b.price)}`,
          en: `every ${ordinal(b.n)} item for ${yuan(b.price)}`,
        };
      return {
        "zh-CN": `第${b.n}件${b.percent === 50 ? "半价" : zhe(100 - (b.percent ?? 100))}`,
        en: `every ${ordinal(b.n)} item at ${b.percent}% of its price`,
      };
    case "fixed_price":
      return { "zh-CN": `一口价${yuan(b.price)}`, en: `${yuan(b.price)} each` };
    case "gift":
      return b.threshold > 0
        ? {
            "zh-CN": `满${yuan(b.threshold)}赠${b.sku}×${b.qty}`,
            en: `free ${b.qty} × ${b.sku} with ${yuan(b.threshold)} or more`,
          }
        : { "zh-CN": `赠${b.sku}×${b.qty}`, en: `free ${b.qty} × ${b.sku}` };
    case "free_shipping":
      return b.threshold > 0
        ? { "zh-CN": `满${yuan(b.threshold)}包邮`, en: `free shipping on ${yuan(b.threshold)} or more` }
        : { "zh-CN": "包邮", en: "free shipping" };
  }
}

/** The line a shopper and an operator read for one applied promotion. */
export function explain(name: string, b: Benefit, discount: number): Explanation {
  const what = describeBenefit(b);
  const zhSaved =
    b.type === "gift"
      ? "，赠品已加入"
      : b.type === "free_shipping"
        ? "，本单包邮"
        : `，已优惠${yuan(discount)}`;
  const enSaved =
    b.type === "gift"
      ? ": gift added"
      : b.type === "free_shipping"
        ? ": this order ships free"
        : `: ${yuan(discount)} saved`;
  return { "zh-CN": `${name}：${what["zh-CN"]}${zhSaved}`, en: `${name}: ${what.en}${enSaved}` };
}

/** Why an eligible-looking promotion did not apply: how much more to spend or buy. */
export function shortfall(name: string, b: Benefit, more: { spend?: number; items?: number }): Explanation {
  const what = describeBenefit(b);
  if (more.spend !== undefined)
    return {
      "zh-CN": `${name}：再买${yuan(more.spend)}可享${what["zh-CN"]}`,
      en: `${name}: spend ${yuan(more.spend)} more for ${what.en}`,
    };
  return {
    "zh-CN": `${name}：再买${more.items ?? 0}件可享${what["zh-CN"]}`,
    en: `${name}: add ${more.items ?? 0} more item(s) for ${what.en}`,
  };
}
