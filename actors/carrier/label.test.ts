import { expect, test } from "bun:test";
import { CODE128_PATTERNS } from "./code128.ts";
import { decodeCode128, decodeGrayPng, LABEL_LAYOUT, renderLabel, waybillNumber } from "./index.ts";

/** Reads the barcode on a label the way a scanner does: one pixel row, runs of dark and light. */
export function scanLabel(png: Uint8Array): string {
  const { width, pixels } = decodeGrayPng(png);
  const y = LABEL_LAYOUT.barcodeTop + Math.floor(LABEL_LAYOUT.barcodeHeight / 2);
  const row = pixels.subarray(y * width, (y + 1) * width);
  const dark = [...row].map((p) => p < 128);
  const first = dark.indexOf(true, 5);
  const last = dark.lastIndexOf(true, width - 6);
  const runs: number[] = [];
  let run = 0;
  for (let x = first; x <= last + 1; x++) {
    if (x > first && dark[x] !== dark[x - 1]) {
      runs.push(run);
      run = 0;
    }
    run += 1;
  }
  return decodeCode128(runs);
}

test("labels - every Code 128 symbol is 11 modules (the stop 13)", () => {
  CODE128_PATTERNS.forEach((p, i) => {
    const sum = [...p].reduce((n, w) => n + Number(w), 0);
    expect(`${i}:${sum}`).toBe(`${i}:${i === 106 ? 13 : 11}`);
  });
  expect(new Set(CODE128_PATTERNS).size).toBe(CODE128_PATTERNS.length);
});

test("labels - a rendered label is a valid PNG whose barcode scans back to the waybill number", () => {
  for (const waybillNo of [waybillNumber("express", 1), waybillNumber("ems", 42), waybillNumber("mail", 7)]) {
    const png = renderLabel({
      carrierName: "EXPRESS",
      waybillNo,
      sortCode: "31-07",
      to: "310115 SHANGHAI",
      phone: "138****0000",
      from: "WH1 330100",
      orderRef: "SHP-1",
      parcel: "1/1",
      weightGrams: 1500,
      pickupDate: "2026-11-30",
    });
    const { width, height, pixels } = decodeGrayPng(png);
    expect([width, height]).toEqual([LABEL_LAYOUT.width, LABEL_LAYOUT.height]);
    expect(scanLabel(png)).toBe(waybillNo);
    // The sort code is printed large in its band (ink there), the rest of the band's right side is paper.
    const ink = (x0: number, y0: number, w: number, h: number) => {
      let n = 0;
      for (let y = y0; y < y0 + h; y++)
        for (let x = x0; x < x0 + w; x++) if (pixels[y * width + x]! < 128) n++;
      return n;
    };
    expect(ink(30, 125, 500, 140)).toBeGreaterThan(5_000);
    expect(ink(700, 120, 80, 150)).toBe(0);
  }
});

test("labels - a damaged barcode does not scan", () => {
  expect(() => decodeCode128([2, 1, 1, 2, 1, 4, 1, 1, 1, 1, 1, 1])).toThrow();
});
