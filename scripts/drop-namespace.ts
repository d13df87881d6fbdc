/**
 * Removes everything one namespace created (streams, KV buckets, Postgres schema, Redis keys and, for
 * test namespaces, the generated secrets key). `.ci/run` uses it after its smoke start, so CI leaves
 * nothing behind that a newcomer's first `npm start` on the same machine would trip over.
 *
 *   bun run scripts/drop-namespace.ts t_cismoke_1a2b3c
 */
import { cleanupNamespace } from "../tests/support/harness.ts";

const namespace = process.argv[2];
if (!namespace || !/^t_\w+$/.test(namespace)) {
  console.error("usage: bun run scripts/drop-namespace.ts <t_namespace> (only test namespaces, t_…)");
  process.exit(2);
}
await cleanupNamespace(namespace);
console.log(`dropped namespace ${namespace}`);
