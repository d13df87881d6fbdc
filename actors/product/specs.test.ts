import { expect, test } from "bun:test";
import fc from "fast-check";
import { checkSkuSpecs, type SpecTemplate, specTemplateSchema } from "./specs.ts";

/** A record as a client's JSON decodes to it (own keys only, `__proto__` included as data). */
const specsOf = (entries: Array<[string, string]>): Record<string, string> => {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true });
  return out;
};
const BUILT_IN = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"];
const name = fc.oneof(fc.constantFrom(...BUILT_IN), fc.string({ minLength: 1, maxLength: 6 }));

/** A template with distinct names and distinct values per spec. */
const template = fc
  .uniqueArray(name, { minLength: 0, maxLength: 3 })
  .chain((names) =>
    fc.tuple(
      ...names.map((n) =>
        fc
          .uniqueArray(name, { minLength: 1, maxLength: 3 })
          .map((values): SpecTemplate => ({ name: n, values })),
      ),
    ),
  );

test("specs - every combination drawn from the template passes; built-in names are plain names", () => {
  fc.assert(
    fc.property(template, (t) => {
      // All distinct combinations (cartesian product), capped.
      let combos: Array<Array<[string, string]>> = [[]];
      for (const spec of t)
        combos = combos.flatMap((c) => spec.values.map((v) => [...c, [spec.name, v] as [string, string]]));
      const skus = combos.slice(0, 20).map((c) => ({ specs: specsOf(c) }));
      expect(checkSkuSpecs(t, skus)).toBeNull();
    }),
  );
});

test("specs - a value outside the template, a missing or unknown spec, or a repeated combination names its field", () => {
  fc.assert(
    fc.property(
      template.filter((t) => t.length > 0),
      fc.constantFrom("missing", "unknown", "value", "duplicate"),
      (t, fault) => {
        const valid: Array<[string, string]> = t.map((s) => [s.name, s.values[0] as string]);
        const first = t[0] as SpecTemplate;
        let specs = valid;
        let expected = `skus.0.specs.${first.name}`;
        if (fault === "missing") specs = valid.slice(1);
        if (fault === "value")
          specs = [[first.name, `${first.values.join("")}-not-allowed`], ...valid.slice(1)];
        if (fault === "unknown") {
          const extra = `${t.map((s) => s.name).join("")}-extra`;
          specs = [...valid, [extra, "x"]];
          expected = `skus.0.specs.${extra}`;
        }
        const skus = [{ specs: specsOf(specs) }];
        if (fault === "duplicate") {
          skus.push({ specs: specsOf([...valid].reverse()) });
          expected = "skus.1.specs";
        }
        expect(checkSkuSpecs(t, skus)?.field).toBe(expected);
      },
    ),
  );
});

test("specs - the template schema refuses a name or value listed twice, with its path", () => {
  const twice = specTemplateSchema.safeParse([
    { name: "颜色", values: ["红"] },
    { name: "颜色", values: ["红", "红"] },
  ]);
  expect(twice.success).toBe(false);
  expect(twice.error?.issues.map((i) => i.path.join("."))).toEqual(["1.name", "1.values.1"]);
});
