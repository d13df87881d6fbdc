import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { z } from "zod";
import { mapEntries, mapSchema, ownValue, safeRecordSchema } from "./keyed.ts";
import { text } from "./text.ts";

const CONTROLS = [
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
  ...Array.from({ length: 0x21 }, (_, i) => String.fromCharCode(0x7f + i)),
];

describe("shared kernel - text", () => {
  test("text - refuses every C0, DEL and C1 control character anywhere in the value", () => {
    const schema = text({ max: 100 });
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.constantFrom(...CONTROLS),
        fc.string({ maxLength: 20 }),
        (a, c, b) => {
          const value = `x${a}${c}${b}x`;
          expect({ value, ok: schema.safeParse(value).success }).toEqual({ value, ok: false });
        },
      ),
    );
  });

  test("text - a multi-line field allows tab, line feed and carriage return, and nothing else", () => {
    const note = text({ max: 100, multiline: true });
    expect(note.parse("line one\nline two\r\n\tindented")).toBe("line one\nline two\r\n\tindented");
    for (const c of CONTROLS.filter((c) => !"\t\n\r".includes(c)))
      expect({ c: c.charCodeAt(0), ok: note.safeParse(`a${c}b`).success }).toEqual({
        c: c.charCodeAt(0),
        ok: false,
      });
  });

  test("text - normalises to NFC, trims, and bounds the length after that", () => {
    const name = text({ max: 3 });
    // Five code units as typed (e + combining acute), four after NFC: the bound applies to the stored form.
    expect(text({ max: 4 }).parse(" Cafe\u0301 ")).toBe("Caf\u00e9");
    expect(name.safeParse("Cafe\u0301").success).toBe(false);
    expect(name.safeParse("   ").success).toBe(false);
    expect(text({ max: 3, min: 0 }).parse("")).toBe("");
    expect(text({ max: 10, trim: false }).parse(" a ")).toBe(" a ");
  });

  test("text - refuses lone surrogates (not UTF-8, refused by Postgres) and keeps paired ones", () => {
    const schema = text({ max: 10 });
    expect(schema.safeParse("a\ud800b").success).toBe(false);
    expect(schema.safeParse("a\udc00").success).toBe(false);
    expect(schema.parse("ok 😀")).toBe("ok 😀");
  });

  test("text - refuses non-strings", () => {
    for (const value of [1, null, undefined, {}, ["a"]])
      expect(text({ max: 5 }).safeParse(value).success).toBe(false);
  });
});

describe("shared kernel - keyed collections", () => {
  const NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];

  test("mapSchema - built-in names survive the snapshot round trip, from pairs and from old plain objects", () => {
    const map = new Map(NAMES.map((n, i) => [n, i] as [string, number]));
    const schema = mapSchema(numberSchema());
    const fromPairs = schema.parse(JSON.parse(JSON.stringify(mapEntries(map))));
    expect([...fromPairs]).toEqual([...map]);
    const oldForm = JSON.parse(`{${NAMES.map((n, i) => `"${n}":${i}`).join(",")}}`);
    expect([...schema.parse(oldForm)]).toEqual([...map]);
    expect(schema.safeParse("nope").success).toBe(false);
    expect(schema.safeParse([["a", "not a number"]]).success).toBe(false);
  });

  test("safeRecordSchema - keeps `__proto__` as a key and never answers a built-in for a missing key", () => {
    const schema = safeRecordSchema(numberSchema());
    const parsed = schema.parse(JSON.parse('{"__proto__": 2, "SKU-1": 3}'));
    expect(ownValue(parsed, "__proto__")).toBe(2);
    expect(ownValue(parsed, "SKU-1")).toBe(3);
    for (const name of ["constructor", "toString", "valueOf"]) expect(ownValue(parsed, name)).toBeUndefined();
    expect(ownValue({} as Record<string, number>, "constructor")).toBeUndefined();
  });
});

function numberSchema() {
  return z.number().int();
}
