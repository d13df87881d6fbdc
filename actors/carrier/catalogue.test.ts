import { expect, test } from "bun:test";
import {
  CARRIER_CODES,
  carrierCatalogue,
  DEFAULT_CARRIERS,
  provinceOf,
  provinceOfRegion,
  rateFor,
  routeSlaHours,
  servesRegion,
} from "./index.ts";

test("carriers - a fresh install has express, EMS and standard mail, each enabled for every region", async () => {
  const list = await carrierCatalogue().list();
  expect(list.map((c) => c.code)).toEqual([...CARRIER_CODES]);
  for (const c of list) {
    expect(c.available).toBe(true);
    for (const region of ["110000", "310115", "650102", "540000"]) expect(servesRegion(c, region)).toBe(true);
  }
  // The catalogue hands out copies: a caller cannot change the defaults.
  list[0]!.serviceRegions.push("x");
  expect(DEFAULT_CARRIERS[0]!.serviceRegions).toEqual(["*"]);
});

test("carriers - availability comes from the given function (circuit breakers)", async () => {
  const list = await carrierCatalogue((code) => code !== "ems").list();
  expect(list.map((c) => [c.code, c.available])).toEqual([
    ["express", true],
    ["ems", false],
    ["mail", true],
  ]);
});

test("carriers - service areas: exclusions win, a province covers its cities", () => {
  const area = { serviceRegions: ["310000", "330100"], excludedRegions: ["310115"] };
  expect(servesRegion(area, "310101")).toBe(true);
  expect(servesRegion(area, "310115")).toBe(false);
  expect(servesRegion(area, "330100")).toBe(true);
  expect(servesRegion(area, "330200")).toBe(false);
  expect(servesRegion(area, "110000")).toBe(false);
});

test("carriers - SLA per route: same province half, remote one day more", () => {
  const express = DEFAULT_CARRIERS[0]!;
  expect(routeSlaHours(express, "310000", "330100")).toBe(48);
  expect(routeSlaHours(express, "310000", "310115")).toBe(24);
  expect(routeSlaHours(express, "310000", "650102")).toBe(72);
  expect(routeSlaHours(express, null, null)).toBe(48);
});

test("carriers - rate card: first weight, each started step in full, remote surcharge", () => {
  const card = DEFAULT_CARRIERS[0]!.rateCard;
  expect(rateFor(card, 1_000, "310000")).toBe(1_200);
  expect(rateFor(card, 1_001, "310000")).toBe(1_700);
  expect(rateFor(card, 3_000, "310000")).toBe(2_200);
  expect(rateFor(card, 500, "650000")).toBe(2_200);
});

test("carriers - provinces from codes and from free-text regions", () => {
  expect(provinceOf("310115")).toBe("310000");
  expect(provinceOf("990000")).toBeUndefined();
  expect(provinceOfRegion("上海市浦东新区")).toBe("310000");
  expect(provinceOfRegion("Beijing")).toBe("110000");
  expect(provinceOfRegion("440305 Nanshan")).toBe("440000");
  expect(provinceOfRegion("constructor")).toBeUndefined();
  expect(provinceOfRegion("__proto__")).toBeUndefined();
});
