import { z } from "zod";

/**
 * Keyed collections in actor state are `Map`s: ids come from outside, and an id such as `constructor`,
 * `toString` or `__proto__` used as a key of a plain object hits `Object.prototype` (an order "already
 * reserved" that never was, a limit silently bypassed, a snapshot that loses an entry).
 *
 * In snapshots a map is stored as a list of `[key, value]` pairs; `mapSchema` also reads the plain-object
 * form older snapshots were written in. It reads the raw JSON itself (never through `z.record`, which
 * drops a `__proto__` key).
 */
export function mapSchema<V>(value: z.ZodType<V>, key: z.ZodType<string, string> = z.string()) {
  const entries = z.array(z.tuple([key, value]));
  return z
    .unknown()
    .transform((raw, ctx) => {
      if (Array.isArray(raw)) return raw;
      if (raw !== null && typeof raw === "object") return Object.entries(raw);
      ctx.addIssue({ code: "custom", message: "expected a list of [key, value] pairs or an object" });
      return z.NEVER;
    })
    .pipe(entries)
    .transform((pairs) => new Map<string, V>(pairs)) as unknown as z.ZodType<
    Map<string, V>,
    Array<[string, V]> | Record<string, V>
  >;
}

/** A map's snapshot form: `[key, value]` pairs, in insertion order. */
export function mapEntries<V>(map: ReadonlyMap<string, V>): Array<[string, V]> {
  return [...map];
}

/**
 * A record keyed by outside ids for command and reply fields that stay plain JSON objects on the wire
 * (e.g. per-SKU limits). Decodes to a null-prototype object, keeping a `__proto__` key (`z.record` drops
 * it); read it with `ownValue`, never with a bare index.
 */
export function safeRecordSchema<V>(value: z.ZodType<V>, key: z.ZodType<string, string> = z.string()) {
  return z
    .unknown()
    .transform((raw, ctx) => {
      if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) return Object.entries(raw);
      ctx.addIssue({ code: "custom", message: "expected an object" });
      return z.NEVER;
    })
    .pipe(z.array(z.tuple([key, value])))
    .transform((pairs) => {
      const out: Record<string, V> = Object.create(null);
      for (const [k, v] of pairs)
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true });
      return out;
    }) as unknown as z.ZodType<Record<string, V>, Record<string, V>>;
}

/** The value stored under `key` itself, never one inherited from `Object.prototype`. */
export function ownValue<V>(record: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
