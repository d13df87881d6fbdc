/**
 * Provinces of the People's Republic of China by their GB/T 2260 codes (the first two digits, then
 * `0000`), as the logistics module counts them: carriers' service areas, SLA routes and the dashboard's
 * province heat table. A city or district code (`310115`) belongs to its province (`310000`).
 */
export interface Province {
  code: string;
  "zh-CN": string;
  en: string;
}

export const PROVINCES: readonly Province[] = [
  { code: "110000", "zh-CN": "北京", en: "Beijing" },
  { code: "120000", "zh-CN": "天津", en: "Tianjin" },
  { code: "130000", "zh-CN": "河北", en: "Hebei" },
  { code: "140000", "zh-CN": "山西", en: "Shanxi" },
  { code: "150000", "zh-CN": "内蒙古", en: "Inner Mongolia" },
  { code: "210000", "zh-CN": "辽宁", en: "Liaoning" },
  { code: "220000", "zh-CN": "吉林", en: "Jilin" },
  { code: "230000", "zh-CN": "黑龙江", en: "Heilongjiang" },
  { code: "310000", "zh-CN": "上海", en: "Shanghai" },
  { code: "320000", "zh-CN": "江苏", en: "Jiangsu" },
  { code: "330000", "zh-CN": "浙江", en: "Zhejiang" },
  { code: "340000", "zh-CN": "安徽", en: "Anhui" },
  { code: "350000", "zh-CN": "福建", en: "Fujian" },
  { code: "360000", "zh-CN": "江西", en: "Jiangxi" },
  { code: "370000", "zh-CN": "山东", en: "Shandong" },
  { code: "410000", "zh-CN": "河南", en: "Henan" },
  { code: "420000", "zh-CN": "湖北", en: "Hubei" },
  { code: "430000", "zh-CN": "湖南", en: "Hunan" },
  { code: "440000", "zh-CN": "广东", en: "Guangdong" },
  { code: "450000", "zh-CN": "广西", en: "Guangxi" },
  { code: "460000", "zh-CN": "海南", en: "Hainan" },
  { code: "500000", "zh-CN": "重庆", en: "Chongqing" },
  { code: "510000", "zh-CN": "四川", en: "Sichuan" },
  { code: "520000", "zh-CN": "贵州", en: "Guizhou" },
  { code: "530000", "zh-CN": "云南", en: "Yunnan" },
  { code: "540000", "zh-CN": "西藏", en: "Tibet" },
  { code: "610000", "zh-CN": "陕西", en: "Shaanxi" },
  { code: "620000", "zh-CN": "甘肃", en: "Gansu" },
  { code: "630000", "zh-CN": "青海", en: "Qinghai" },
  { code: "640000", "zh-CN": "宁夏", en: "Ningxia" },
  { code: "650000", "zh-CN": "新疆", en: "Xinjiang" },
  { code: "710000", "zh-CN": "台湾", en: "Taiwan" },
  { code: "810000", "zh-CN": "香港", en: "Hong Kong" },
  { code: "820000", "zh-CN": "澳门", en: "Macao" },
];

/** Provinces carriers treat as remote (偏远地区): longer promises and a surcharge on the rate card. */
export const REMOTE_PROVINCES: ReadonlySet<string> = new Set(["150000", "540000", "630000", "650000"]);

const byCode = new Map(PROVINCES.map((p) => [p.code, p]));
const byName = new Map<string, string>();
for (const p of PROVINCES) {
  byName.set(p["zh-CN"], p.code);
  byName.set(p.en.toLowerCase(), p.code);
}

/** The province code of a GB/T 2260 region code (`"310115"` → `"310000"`), or undefined if it is none. */
export function provinceOf(regionCode: string): string | undefined {
  if (!/^\d{6}$/.test(regionCode)) return undefined;
  const code = `${regionCode.slice(0, 2)}0000`;
  return byCode.has(code) ? code : undefined;
}

/**
 * The province of an address's `region`: a GB/T 2260 code, or free text that starts with a province's
 * name (`"上海市浦东新区"`, `"Beijing"`, `"Zhejiang Hangzhou"`). Undefined when it names none.
 */
export function provinceOfRegion(region: string): string | undefined {
  const trimmed = region.trim();
  const coded = /^(\d{6})/.exec(trimmed);
  if (coded) return provinceOf(coded[1]!);
  const lower = trimmed.toLowerCase();
  for (const [name, code] of byName) if (lower.startsWith(name)) return code;
  return undefined;
}

export function provinceName(code: string, lang: "zh-CN" | "en" = "zh-CN"): string {
  return byCode.get(code)?.[lang] ?? code;
}

/** The most precise GB/T 2260 code an address's `region` gives: its own code, else its province's. */
export function regionCodeOf(region: string): string | undefined {
  const coded = /^(\d{6})/.exec(region.trim());
  if (coded && provinceOf(coded[1]!)) return coded[1]!;
  return provinceOfRegion(region);
}
