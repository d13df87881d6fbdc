/** One field that differs between two versions of a page. */
export interface PageChange {
  op: "added" | "removed" | "changed";
  path: string;
  before?: string;
  after?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Every path from the root to a leaf that differs between `a` and `b`, objects walked by key, arrays by index. */
export function diffPages(a: unknown, b: unknown, path = "", out: PageChange[] = []): PageChange[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  if (a === undefined) {
    out.push({ op: "added", path, after: JSON.stringify(b) });
    return out;
  }
  if (b === undefined) {
    out.push({ op: "removed", path, before: JSON.stringify(a) });
    return out;
  }
  if (isRecord(a) && isRecord(b) && Array.isArray(a) === Array.isArray(b)) {
    const [ra, rb] = [a, b];
    const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])];
    for (const k of keys) {
      const va = Object.hasOwn(ra, k) ? ra[k] : undefined;
      const vb = Object.hasOwn(rb, k) ? rb[k] : undefined;
      diffPages(va, vb, path === "" ? k : `${path}.${k}`, out);
    }
    return out;
  }
  out.push({ op: "changed", path, before: JSON.stringify(a), after: JSON.stringify(b) });
  return out;
}
