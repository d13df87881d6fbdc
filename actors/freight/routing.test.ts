import { describe, expect, test } from "bun:test";
import { DEFAULT_CARRIERS } from "../carrier/index.ts";
import { type FreightTemplate, type RoutingInput, route, UNSERVED } from "./index.ts";

/** Warehouses: Shanghai (310000 area east), Hangzhou (330100, east), Beijing (110000, north), Chengdu (510100). */
const warehouses = [
  { code: "WH-SH", region: "310115" },
  { code: "WH-HZ", region: "330106" },
  { code: "WH-BJ", region: "110105" },
  { code: "WH-CD", region: "510104" },
];
const line = (sku: string, qty: number, weightGrams = 500, paid = 2_000 * qty) => ({
  sku,
  qty,
  weightGrams,
  volumeCm3: 0,
  paid,
});
const stock = (rows: Record<string, Record<string, number>>) =>
  new Map(Object.entries(rows).map(([sku, ws]) => [sku, new Map(Object.entries(ws))]));
const flat = (
  t: Omit<FreightTemplate, "basis" | "rules"> & { first: number; additional: number },
): FreightTemplate => ({
  code: t.code,
  warehouse: t.warehouse,
  basis: "weight",
  rules: [
    { regions: ["*"], first: 1_000, firstFee: t.first, additional: 1_000, additionalFee: t.additional },
  ],
  ...(t.excluded ? { excluded: t.excluded } : {}),
});
const base = (x: Partial<RoutingInput>): RoutingInput => ({
  dest: "310104",
  lines: [line("A", 1)],
  warehouses,
  stock: stock({}),
  templates: [],
  carriers: DEFAULT_CARRIERS,
  ...x,
});
const shape = (r: ReturnType<typeof route>) =>
  r.parcels.map((p) => ({ warehouse: p.warehouse, carrier: p.carrier, lines: p.lines, freight: p.freight }));

/**
 * Hand-worked cases. Cost of a warehouse = its template's freight + 300 fen × distance step
 * (0 same county, 1 same city, 2 same province, 3 same area, 4 another area, 5 unknown).
 */
describe("routing - hand-worked cases", () => {
  test("routing - single warehouse: the nearest of two that hold everything (same city beats same area)", () => {
    const r = route(
      base({
        lines: [line("A", 2), line("B", 1)],
        stock: stock({ A: { "WH-SH": 5, "WH-HZ": 5 }, B: { "WH-SH": 1, "WH-HZ": 9 } }),
      }),
    );
    // No templates: freight 0; WH-SH same city (300) vs WH-HZ same area (900).
    expect(shape(r), JSON.stringify(r, null, 1)).toEqual([
      {
        warehouse: "WH-SH",
        carrier: "mail",
        lines: [
          { sku: "A", qty: 2 },
          { sku: "B", qty: 1 },
        ],
        freight: 0,
      },
    ]);
    expect(r.reasons.join("\n")).toContain("one warehouse holds every line: WH-SH");
    expect(r.reasons.join("\n")).toContain("WH-HZ also holds every line but costs 900");
  });

  test("routing - never split when one warehouse can serve, even if lines are nearer elsewhere", () => {
    const r = route(
      base({
        lines: [line("A", 1), line("B", 1)],
        stock: stock({ A: { "WH-SH": 1, "WH-BJ": 1 }, B: { "WH-BJ": 1 } }),
      }),
    );
    expect(shape(r)).toEqual([
      {
        warehouse: "WH-BJ",
        carrier: "express",
        lines: [
          { sku: "A", qty: 1 },
          { sku: "B", qty: 1 },
        ],
        freight: 0,
      },
    ]);
  });

  test("routing - split only when no warehouse holds every line; fewest parcels first", () => {
    const r = route(
      base({
        lines: [line("A", 1), line("B", 1), line("C", 1)],
        stock: stock({ A: { "WH-SH": 1, "WH-BJ": 1 }, B: { "WH-BJ": 1 }, C: { "WH-SH": 3 } }),
        templates: [
          flat({ code: "T1", warehouse: "WH-SH", first: 600, additional: 200 }),
          flat({ code: "T2", warehouse: "WH-BJ", first: 900, additional: 300 }),
        ],
      }),
    );
    // WH-SH and WH-BJ each cover two lines; tie broken by cost: WH-SH (600 + 300) < WH-BJ (900 + 1,200).
    expect(shape(r)).toEqual([
      {
        warehouse: "WH-SH",
        carrier: "mail",
        lines: [
          { sku: "A", qty: 1 },
          { sku: "C", qty: 1 },
        ],
        freight: 600,
      },
      { warehouse: "WH-BJ", carrier: "express", lines: [{ sku: "B", qty: 1 }], freight: 900 },
    ]);
    expect(r.freight).toBe(1_500);
    expect(r.reasons.join("\n")).toContain("2 parcels: split penalty 1000 fen");
  });

  test("routing - a line no warehouse holds whole is split by most sellable first", () => {
    const r = route(base({ lines: [line("A", 5)], stock: stock({ A: { "WH-SH": 2, "WH-BJ": 3 } }) }));
    expect(shape(r).map((p) => [p.warehouse, p.lines])).toEqual([
      ["WH-BJ", [{ sku: "A", qty: 3 }]],
      ["WH-SH", [{ sku: "A", qty: 2 }]],
    ]);
  });

  test("routing - distance vs cost: a far warehouse wins when its freight saves more than the distance costs", () => {
    const lines = [line("A", 1, 5_000)];
    const s = stock({ A: { "WH-SH": 1, "WH-CD": 1 } });
    // 5 kg: WH-SH 1,000 + 4 × 800 = 4,200 + 300 (same city) = 4,500; WH-CD 500 + 4 × 100 = 900 + 1,200 = 2,100.
    const cheapFar = [
      flat({ code: "TS", warehouse: "WH-SH", first: 1_000, additional: 800 }),
      flat({ code: "TC", warehouse: "WH-CD", first: 500, additional: 100 }),
    ];
    expect(shape(route(base({ lines, stock: s, templates: cheapFar })))[0]).toMatchObject({
      warehouse: "WH-CD",
      freight: 900,
    });
    // 1 kg: WH-SH 1,000 + 300 = 1,300 vs WH-CD 500 + 1,200 = 1,700: the near one wins.
    expect(
      shape(route(base({ lines: [line("A", 1, 1_000)], stock: s, templates: cheapFar })))[0],
    ).toMatchObject({
      warehouse: "WH-SH",
      freight: 1_000,
    });
  });

  test("routing - a warehouse whose template excludes the destination is skipped (remote regions)", () => {
    const r = route(
      base({
        dest: "540102",
        stock: stock({ A: { "WH-SH": 1, "WH-CD": 1 } }),
        templates: [
          flat({ code: "TS", warehouse: "WH-SH", first: 100, additional: 1, excluded: ["540000"] }),
        ],
      }),
    );
    expect(shape(r)).toEqual([
      { warehouse: "WH-CD", carrier: "express", lines: [{ sku: "A", qty: 1 }], freight: 0 },
    ]);
    expect(r.reasons.join("\n")).toContain("does not ship to 540102");
  });

  test("routing - a line held only where the region is excluded is marked unserved; a plain shortage is not", () => {
    const excludedOnly = route(
      base({
        dest: "540102",
        lines: [line("A", 1), line("B", 1)],
        stock: stock({ A: { "WH-SH": 1 }, B: { "WH-CD": 1 } }),
        templates: [
          flat({ code: "TS", warehouse: "WH-SH", first: 100, additional: 1, excluded: ["540000"] }),
        ],
      }),
    );
    expect(shape(excludedOnly).map((p) => [p.warehouse, p.lines])).toEqual([
      ["WH-CD", [{ sku: "B", qty: 1 }]],
    ]);
    expect(excludedOnly.reasons).toContain(`A: ${UNSERVED} from WH-SH (excluded or avoided)`);
    const short = route(base({ lines: [line("A", 3)], stock: stock({ A: { "WH-SH": 1 } }) }));
    expect(short.reasons.some((r) => r.includes(UNSERVED))).toBe(false);
    expect(short.reasons.join("\n")).toContain("A: only 1 of 3 sellable");
  });

  test("routing - carrier SLA on the route, out of area, unavailable", () => {
    // actors/carrier: express 48 h (rank 2), ems 72 h (rank 3), mail 120 h (rank 1); half inside a province.
    const s = stock({ A: { "WH-SH": 1 } });
    const near = route(base({ stock: s }));
    // Shanghai to Shanghai: mail 60 h meets the 72 h promise and is cheapest.
    expect(near.parcels[0]!.carrier).toBe("mail");
    const far = route(base({ dest: "110101", stock: s }));
    // Shanghai to Beijing: mail 120 h is too slow; express (48 h) is cheaper than EMS.
    expect(far.parcels[0]!.carrier).toBe("express");
    expect(far.parcels[0]!.reasons.join("\n")).toContain(
      "mail: SLA 120 h on this route exceeds the 72 h promise",
    );
    const carriers = DEFAULT_CARRIERS.map((c) =>
      c.code === "express" ? { ...c, excludedRegions: ["110000"] } : c,
    );
    const outOfArea = route(base({ dest: "110101", stock: s, carriers }));
    expect(outOfArea.parcels[0]!.carrier).toBe("ems");
    expect(outOfArea.parcels[0]!.reasons.join("\n")).toContain("express: does not serve 110101");
    const down = carriers.map((c) => (c.code === "ems" ? { ...c, available: false } : c));
    // Nothing within the promise: the fastest that serves (mail).
    const slow = route(base({ dest: "110101", stock: s, carriers: down }));
    expect(slow.parcels[0]!.carrier).toBe("mail");
    expect(slow.parcels[0]!.reasons.join("\n")).toContain("ems: unavailable");
    expect(slow.parcels[0]!.reasons.join("\n")).toContain("none meets the 72 h promise");
    const none = route(base({ stock: s, carriers: down.map((c) => ({ ...c, available: false })) }));
    expect(none.parcels[0]!.carrier).toBeNull();
  });

  test("routing - re-routing avoids the failed warehouse and carrier", () => {
    const s = stock({ A: { "WH-SH": 1, "WH-HZ": 1 } });
    const first = route(base({ stock: s }));
    expect(shape(first)[0]).toMatchObject({ warehouse: "WH-SH", carrier: "mail" });
    const again = route(base({ stock: s, avoid: { warehouses: ["WH-SH"], carriers: ["mail"] } }));
    // Hangzhou to Shanghai is another province: express 48 h.
    expect(shape(again)[0]).toMatchObject({ warehouse: "WH-HZ", carrier: "express" });
    expect(shape(again)[0]!.carrier).toBe("express");
    expect(again.parcels[0]!.reasons.join("\n")).toContain("mail: avoided (failed)");
    expect(again.reasons.join("\n")).toContain("WH-SH avoided");
  });

  test("routing - member and promotion free shipping waive the parcel's freight, with the reason", () => {
    const x = {
      stock: stock({ A: { "WH-SH": 1 } }),
      templates: [flat({ code: "T", warehouse: "WH-SH", first: 700, additional: 1 })],
    };
    expect(route(base(x)).freight).toBe(700);
    const member = route(base({ ...x, freeShipping: { member: true, promotion: false } }));
    expect(member.freight).toBe(0);
    expect(member.parcels[0]!.reasons.join("\n")).toContain("member level ships free: freight 700 waived");
    const promo = route(base({ ...x, freeShipping: { member: false, promotion: true } }));
    expect(promo.parcels[0]!.reasons.join("\n")).toContain("free-shipping promotion");
    expect(promo.freight).toBe(0);
  });

  test("routing - ids like __proto__ and constructor are plain keys", () => {
    const r = route(
      base({
        lines: [line("__proto__", 1), line("constructor", 1)],
        stock: new Map([
          ["__proto__", new Map([["toString", 1]])],
          ["constructor", new Map([["toString", 1]])],
        ]),
        warehouses: [{ code: "toString", region: "310104" }],
      }),
    );
    expect(shape(r)).toEqual([
      {
        warehouse: "toString",
        carrier: "mail",
        lines: [
          { sku: "__proto__", qty: 1 },
          { sku: "constructor", qty: 1 },
        ],
        freight: 0,
      },
    ]);
  });
});
