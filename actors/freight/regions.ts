/**
 * GB/T 2260 administrative division codes: six digits, `PPCCDD` (province, city, county). A province
 * code ends in `0000` and covers every code under it; a city code ends in `00` and covers its counties.
 */
export const REGION_CODE = /^[1-9][0-9]{5}$/;

export const isRegionCode = (code: string): boolean => REGION_CODE.test(code);

/** The province code of a region (`310104` → `310000`). */
export const provinceOf = (code: string): string => `${code.slice(0, 2)}0000`;

/** Whether `rule` (a province, city or county code) covers the destination `dest`. */
export function covers(rule: string, dest: string): boolean {
  if (rule.endsWith("0000")) return dest.startsWith(rule.slice(0, 2));
  if (rule.endsWith("00")) return dest.startsWith(rule.slice(0, 4));
  return rule === dest;
}

/** How specific a covering code is (a county beats a city beats a province). */
export const specificity = (rule: string): number =>
  rule.endsWith("0000") ? 1 : rule.endsWith("00") ? 2 : 3;

/**
 * The destination code of an address: its `region` field when that holds a GB/T 2260 code, alone or
 * leading (`"310104"`, `"310104 Shanghai Xuhui"`). Free-text regions from before freight have none.
 */
export function regionOfAddress(region: string): string | undefined {
  const m = /^\s*([1-9][0-9]{5})(?![0-9])/.exec(region);
  return m?.[1];
}

/**
 * China's seven geographic areas by province prefix (华北, 东北, 华东, 华中, 华南, 西南, 西北): the
 * region → warehouse distance table routing reads (same county 0 … another area 4).
 */
const AREAS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["north", ["11", "12", "13", "14", "15"]],
  ["northeast", ["21", "22", "23"]],
  ["east", ["31", "32", "33", "34", "35", "36", "37", "71"]],
  ["central", ["41", "42", "43"]],
  ["south", ["44", "45", "46", "81", "82"]],
  ["southwest", ["50", "51", "52", "53", "54"]],
  ["northwest", ["61", "62", "63", "64", "65"]],
];
const AREA_OF = new Map<string, string>(AREAS.flatMap(([area, ps]) => ps.map((p) => [p, area] as const)));

export const areaOf = (code: string): string | undefined => AREA_OF.get(code.slice(0, 2));

/** Distance steps from a warehouse's region to a destination; `UNKNOWN_DISTANCE` when either is not a code. */
export const UNKNOWN_DISTANCE = 5;
export const DISTANCE_NAMES = ["same county", "same city", "same province", "same area", "another area"];

export function distance(from: string | undefined, to: string | undefined): number {
  if (from === undefined || to === undefined || !isRegionCode(from) || !isRegionCode(to))
    return UNKNOWN_DISTANCE;
  if (from === to) return 0;
  if (from.slice(0, 4) === to.slice(0, 4)) return 1;
  if (from.slice(0, 2) === to.slice(0, 2)) return 2;
  const a = areaOf(from);
  return a !== undefined && a === areaOf(to) ? 3 : 4;
}

export const distanceName = (d: number): string => DISTANCE_NAMES[d] ?? "unknown distance";
