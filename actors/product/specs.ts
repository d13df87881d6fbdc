import { z } from "zod";
import { text } from "../shared/index.ts";

/** A category's spec template entry: a spec (颜色, 尺码) and the values its products' SKUs may take. */
export interface SpecTemplate {
  name: string;
  values: string[];
}

const specName = text({ max: 40 });
const specValue = text({ max: 60 });

/** `[{ name, values }]`: names unique, values unique and non-empty per spec. */
export const specTemplateSchema = z
  .array(z.object({ name: specName, values: z.array(specValue).min(1).max(200) }).strict())
  .max(20)
  .superRefine((specs, ctx) => {
    const names = new Set<string>();
    specs.forEach((spec, i) => {
      if (names.has(spec.name))
        ctx.addIssue({ code: "custom", path: [i, "name"], message: `spec ${spec.name} is listed twice` });
      names.add(spec.name);
      const values = new Set<string>();
      spec.values.forEach((value, j) => {
        if (values.has(value))
          ctx.addIssue({ code: "custom", path: [i, "values", j], message: `value ${value} is listed twice` });
        values.add(value);
      });
    });
  });

/** What a spec-combination check found wrong: the field path (e.g. `skus.1.specs.颜色`) and why. */
export interface SpecProblem {
  field: string;
  message: string;
}

/**
 * Checks SKUs' spec values against a back category's template: every spec of the template given, each
 * value allowed, no spec the template does not have, and no two SKUs with the same combination. `specs`
 * are records keyed by outside names (read with own-property checks only). Returns the first problem,
 * with the field path under `prefix` (`skus`), or null.
 */
export function checkSkuSpecs(
  template: readonly SpecTemplate[],
  skus: ReadonlyArray<{ specs: Readonly<Record<string, string>> }>,
  prefix = "skus",
): SpecProblem | null {
  const allowed = new Map(template.map((t) => [t.name, new Set(t.values)]));
  const seen = new Map<string, number>();
  for (const [i, sku] of skus.entries()) {
    const at = `${prefix}.${i}.specs`;
    for (const name of Object.keys(sku.specs)) {
      if (!allowed.has(name)) return { field: `${at}.${name}`, message: `the category has no spec ${name}` };
    }
    const combination: string[] = [];
    for (const t of template) {
      const value = Object.hasOwn(sku.specs, t.name) ? sku.specs[t.name] : undefined;
      if (value === undefined) return { field: `${at}.${t.name}`, message: `spec ${t.name} is required` };
      if (!allowed.get(t.name)?.has(value))
        return {
          field: `${at}.${t.name}`,
          message: `${value} is not an allowed value of ${t.name} (${t.values.join(", ")})`,
        };
      combination.push(value);
    }
    const key = JSON.stringify(combination);
    const first = seen.get(key);
    if (first !== undefined) return { field: at, message: `the same spec combination as ${prefix}.${first}` };
    seen.set(key, i);
  }
  return null;
}
