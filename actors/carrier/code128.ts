/**
 * Code 128 (set B), the barcode on Chinese e-waybills: bar/space widths per symbol value (11 modules
 * each; the stop symbol 13), start B = 104, checksum = (104 + Σ value × position) mod 103.
 */
export const CODE128_PATTERNS: readonly string[] = [
  "212222",
  "222122",
  "222221",
  "121223",
  "121322",
  "131222",
  "122213",
  "122312",
  "132212",
  "221213",
  "221312",
  "231212",
  "112232",
  "122132",
  "122231",
  "113222",
  "123122",
  "123221",
  "223211",
  "221132",
  "221231",
  "213212",
  "223112",
  "312131",
  "311222",
  "321122",
  "321221",
  "312212",
  "322112",
  "322211",
  "212123",
  "212321",
  "232121",
  "111323",
  "131123",
  "131321",
  "112313",
  "132113",
  "132311",
  "211313",
  "231113",
  "231311",
  "112133",
  "112331",
  "132131",
  "113123",
  "113321",
  "133121",
  "313121",
  "211331",
  "231131",
  "213113",
  "213311",
  "213131",
  "311123",
  "311321",
  "331121",
  "312113",
  "312311",
  "332111",
  "314111",
  "221411",
  "431111",
  "111224",
  "111422",
  "121124",
  "121421",
  "141122",
  "141221",
  "112214",
  "112412",
  "122114",
  "122411",
  "142112",
  "142211",
  "241211",
  "221114",
  "413111",
  "241112",
  "134111",
  "111242",
  "121142",
  "121241",
  "114212",
  "124112",
  "124211",
  "411212",
  "421112",
  "421211",
  "212141",
  "214121",
  "412121",
  "111143",
  "111341",
  "131141",
  "114113",
  "114311",
  "411113",
  "411311",
  "113141",
  "114131",
  "311141",
  "411131",
  "211412",
  "211214",
  "211232",
  "2331112",
];
const START_B = 104;
const STOP = 106;

/** The symbol values of `text` in set B, with start, checksum and stop. Printable ASCII only. */
export function code128Values(text: string): number[] {
  const values = [...text].map((ch) => {
    const v = ch.charCodeAt(0) - 32;
    if (v < 0 || v > 94) throw new RangeError(`Code 128 B cannot encode ${JSON.stringify(ch)}`);
    return v;
  });
  const check = values.reduce((sum, v, i) => sum + v * (i + 1), START_B) % 103;
  return [START_B, ...values, check, STOP];
}

/** The modules of the barcode, left to right: `true` = bar. */
export function code128Modules(text: string): boolean[] {
  const modules: boolean[] = [];
  for (const v of code128Values(text)) {
    [...CODE128_PATTERNS[v]!].forEach((w, i) => {
      for (let k = 0; k < Number(w); k++) modules.push(i % 2 === 0);
    });
  }
  return modules;
}

/**
 * Reads a Code 128 B barcode back from one scan line of run widths (bars and spaces alternating,
 * starting with a bar), as a scanner does: widths are divided by the narrowest bar's width. Throws when
 * the start, a symbol or the checksum does not match.
 */
export function decodeCode128(runs: readonly number[]): string {
  const module = Math.min(...runs);
  const widths = runs.map((r) => Math.round(r / module));
  const values: number[] = [];
  let i = 0;
  while (i < widths.length) {
    const rest = widths.slice(i, i + 7).join("");
    if (rest === CODE128_PATTERNS[STOP]) break;
    const symbol = widths.slice(i, i + 6).join("");
    const value = CODE128_PATTERNS.indexOf(symbol);
    if (value < 0) throw new Error(`no Code 128 symbol ${symbol} at run ${i}`);
    values.push(value);
    i += 6;
  }
  if (values[0] !== START_B) throw new Error("no start B symbol");
  const data = values.slice(1, -1);
  const check = values.at(-1)!;
  if (data.reduce((sum, v, k) => sum + v * (k + 1), START_B) % 103 !== check) throw new Error("bad checksum");
  return String.fromCharCode(...data.map((v) => v + 32));
}
