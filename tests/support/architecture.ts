/**
 * The dependency rules of the project, checked on real imports: every `import`, `export … from`,
 * `import type` and dynamic `import()` specifier is read with TypeScript's own pre-processor (so comments
 * and strings that merely look like imports do not count), relative specifiers are resolved to files, and
 * each resulting edge is judged by the layer of both ends. `tests/architecture.test.ts` runs it on the
 * tree and on planted violations.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import ts from "typescript";

/** Source files by path relative to the repository root, with `/` separators. */
export type SourceTree = ReadonlyMap<string, string>;

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

const DOMAIN_ROOT = "actors/";
const RUNTIME = "actors/runtime/";
const KERNEL = "actors/shared/";
/** Drivers and frameworks that belong to the edges, never to the runtime or a domain. */
const EDGE_PACKAGES = /^(postgres|ioredis|hono|socket\.io)(\/|$)/;
/** SQL and Redis drivers: the gateway reaches data through ports (issue 9). */
const STORE_DRIVERS = /^(postgres|ioredis)(\/|$)/;

/** Every `.ts` file under `dirs`, read from disk. */
export function readTree(root: string, dirs: string[], files: string[] = []): Map<string, string> {
  const tree = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      if (name === "node_modules" || name.startsWith(".")) continue;
      const path = posix.join(dir, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith(".ts")) tree.set(path, readFileSync(join(root, path), "utf8"));
    }
  };
  for (const dir of dirs) if (existsSync(join(root, dir))) walk(dir);
  for (const file of files) tree.set(file, readFileSync(join(root, file), "utf8"));
  return tree;
}

/** The module specifiers a file imports or re-exports, in order. */
export function specifiersOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Resolves a relative specifier against the importing file; bare specifiers come back unchanged. */
export function resolveSpecifier(tree: SourceTree, file: string, specifier: string): string {
  if (!specifier.startsWith(".")) return specifier;
  const target = posix.normalize(posix.join(dirname(file), specifier));
  for (const candidate of [target, `${target}.ts`, `${target}/index.ts`])
    if (tree.has(candidate)) return candidate;
  return target;
}

/** `actors/<name>/` of a domain file (runtime and kernel are not domains), or undefined. */
function domainOf(path: string): string | undefined {
  if (!path.startsWith(DOMAIN_ROOT) || path.startsWith(RUNTIME) || path.startsWith(KERNEL)) return undefined;
  const name = path.slice(DOMAIN_ROOT.length).split("/")[0];
  return name && path.split("/").length > 2 ? name : undefined;
}

/** A module's public face: an `index.ts` (a domain's, the runtime's, `runtime/testing/`, `payment/channels/`). */
const isFace = (path: string) => path.endsWith("/index.ts");

/** Judges one import edge; returns the broken rule, or undefined. */
function judge(file: string, target: string, specifier: string): string | undefined {
  const relative = specifier.startsWith(".");
  // 1. The runtime knows nothing of ours: no domain, kernel, storage, gateway, node, and no edge drivers.
  if (file.startsWith(RUNTIME)) {
    if (relative && !target.startsWith(RUNTIME)) return "the runtime imports nothing outside actors/runtime/";
    if (!relative && EDGE_PACKAGES.test(specifier))
      return "the runtime imports no database, HTTP or socket library";
    return undefined;
  }
  const fromDomain = domainOf(file);
  const fromKernel = file.startsWith(KERNEL);
  if (fromDomain || fromKernel) {
    if (!relative) {
      return EDGE_PACKAGES.test(specifier)
        ? "domains and the kernel import no database, HTTP or socket library"
        : undefined;
    }
    if (target.startsWith(RUNTIME))
      return isFace(target) ? undefined : "domains and the kernel use the runtime through its index.ts";
    if (target.startsWith(KERNEL)) {
      if (fromKernel) return undefined;
      return isFace(target) ? undefined : "domains use the shared kernel through actors/shared/index.ts";
    }
    const toDomain = domainOf(target);
    if (toDomain && toDomain === fromDomain) return undefined;
    if (fromKernel) return "the kernel imports no domain";
    if (toDomain)
      return isFace(target) ? undefined : `a domain imports another domain only through its index.ts`;
    return "domains import only the kernel, the runtime and other domains' index.ts";
  }
  // Everything outside actors/ (gateway, storage, realtime, node, bench, scripts, tests) uses public faces.
  if (relative && target.startsWith(DOMAIN_ROOT) && !isFace(target))
    return "code outside actors/ imports actors only through an index.ts";
  if (file.startsWith("gateway/") && !relative && STORE_DRIVERS.test(specifier))
    return "the gateway imports neither postgres nor ioredis (it depends on ports)";
  if (file.startsWith("storage/") && relative && target.startsWith("gateway/"))
    return "storage does not import the gateway";
  return undefined;
}

/** Every import edge of `tree` that breaks a rule. */
export function findViolations(tree: SourceTree): Violation[] {
  const violations: Violation[] = [];
  for (const [file, source] of tree) {
    for (const specifier of specifiersOf(source)) {
      const rule = judge(file, resolveSpecifier(tree, file, specifier), specifier);
      if (rule) violations.push({ file, specifier, rule });
    }
  }
  return violations;
}
