import { describe, expect, test } from "bun:test";
import { fnv1a32, isValidActorId, Subjects, shardOf } from "./shard.ts";

describe("runtime - shard placement", () => {
  test("runtime - shard: fnv1a32 matches the FNV-1a 32-bit test vectors", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foo")).toBe(0xa9f37ed7);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });

  test("runtime - shard: fnv1a32 hashes UTF-8 bytes and stays an unsigned 32-bit integer", () => {
    expect(fnv1a32("é")).toBe(0x1e9de8c1);
    expect(fnv1a32("日本")).toBe(0x9f26ee51);
    for (const id of ["SKU-1", "ORD:2024:000017", "x".repeat(96), "Z"]) {
      const h = fnv1a32(id);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThanOrEqual(0xffffffff);
    }
  });

  test("runtime - shard: shardOf is in range, stable and equals fnv1a32 mod n", () => {
    for (const n of [1, 7, 64, 1024]) {
      for (let i = 0; i < 200; i++) {
        const id = `SKU-${i}`;
        const shard = shardOf(id, n);
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThan(n);
        expect(Number.isInteger(shard)).toBe(true);
        expect(shardOf(id, n)).toBe(shard);
        expect(shard).toBe(fnv1a32(id) % n);
      }
    }
    expect(shardOf("SKU-1", 64)).toBe(0xe3bb934c % 64);
  });

  test("runtime - shard: shardOf spreads ids over every shard", () => {
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 6_400; i++) counts[shardOf(`SKU-${i}`, 64)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(50);
    expect(Math.max(...counts)).toBeLessThan(160);
  });
});

describe("runtime - actor ids", () => {
  test("runtime - shard: ids usable as subject tokens are valid", () => {
    for (const id of ["SKU-1", "a", "ORD:2024:17", "user_42", "0abc", "x".repeat(96)]) {
      expect(isValidActorId(id)).toBe(true);
    }
  });

  test("runtime - shard: ids with '.', '*', '>' or spaces are invalid", () => {
    for (const id of ["a.b", "a*", "*", "a>", ">", "a b", " a", "a ", "a\tb", "a\nb"]) {
      expect(isValidActorId(id)).toBe(false);
    }
  });

  test("runtime - shard: empty, too long and oddly started ids are invalid", () => {
    for (const id of ["", "x".repeat(97), "-abc", "_abc", ":abc", "é", "a/b"]) {
      expect(isValidActorId(id)).toBe(false);
    }
  });
});

describe("runtime - subjects", () => {
  test("runtime - shard: Subjects.parse round-trips command, event, snapshot and timer subjects", () => {
    for (const namespace of ["hub", "hub.test.run-1"]) {
      const subjects = new Subjects(namespace);
      for (const [shard, kind, id] of [
        [0, "sku", "SKU-1"],
        [63, "order", "ORD:2024:17"],
        [12, "customer", "c_42"],
      ] as const) {
        const expected = { shard, kind, id };
        expect(subjects.parse(subjects.command(shard, kind, id))).toEqual(expected);
        expect(subjects.parse(subjects.events(shard, kind, id))).toEqual(expected);
        expect(subjects.parse(subjects.snapshot(shard, kind, id, 0))).toEqual(expected);
        expect(subjects.parse(subjects.snapshot(shard, kind, id, 3))).toEqual(expected);
        expect(subjects.parse(subjects.timerIndex(shard, kind, id))).toEqual(expected);
      }
    }
  });

  test("runtime - shard: subjects are laid out as <ns>.<area>.<shard>.<kind>.<id>", () => {
    const subjects = new Subjects("hub");
    expect(subjects.command(5, "sku", "SKU-1")).toBe("hub.cmd.5.sku.SKU-1");
    expect(subjects.events(5, "sku", "SKU-1")).toBe("hub.evt.5.sku.SKU-1");
    expect(subjects.snapshot(5, "sku", "SKU-1", 2)).toBe("hub.snap.5.sku.SKU-1.2");
    expect(subjects.timerIndex(5, "sku", "SKU-1")).toBe("hub.tmr.5.sku.SKU-1");
    expect(subjects.shardCommands(5)).toBe("hub.cmd.5.>");
    expect(subjects.shardTimers(5)).toBe("hub.tmr.5.>");
  });

  test("runtime - shard: Subjects.parse rejects subjects without a numeric shard, kind or id", () => {
    const subjects = new Subjects("hub");
    expect(subjects.parse("hub.cmd.x.sku.SKU-1")).toBeUndefined();
    expect(subjects.parse("hub.cmd.5.sku")).toBeUndefined();
    expect(subjects.parse("hub.cmd")).toBeUndefined();
  });
});
