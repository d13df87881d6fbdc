/**
 * Shard placement. The shard count is fixed for the life of a cluster (changing it moves every actor),
 * so it is configuration, not code. FNV-1a 32-bit is the same hash NATS uses for `partition(n, token)`
 * subject mapping, which keeps a server-side mapping and this client-side function in agreement.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const encoder = new TextEncoder();

/** FNV-1a 32-bit over the UTF-8 bytes of `input`, as an unsigned integer. */
export function fnv1a32(input: string): number {
  let hash = FNV_OFFSET;
  for (const byte of encoder.encode(input)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * The shard an actor id lives on.
 * @example shardOf("SKU-1", 64) // → a number in [0, 64)
 */
export function shardOf(id: string, shardCount: number): number {
  return fnv1a32(id) % shardCount;
}

/**
 * The one id rule of the project: ids become subject tokens and URL segments, so they may not contain
 * `.`, `*`, `>`, `/` or spaces. Only the length differs by use: an actor id may be longer than an id a
 * client sends, because actors derive ids from client ids (`<orderId>-r1`).
 */
export function idPattern(maxLength: number): RegExp {
  return new RegExp(`^[A-Za-z0-9][A-Za-z0-9_:-]{0,${maxLength - 1}}$`);
}

export const ACTOR_ID_MAX_LENGTH = 96;
export const ACTOR_ID_PATTERN = idPattern(ACTOR_ID_MAX_LENGTH);
export const KIND_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

export function isValidActorId(id: string): boolean {
  return ACTOR_ID_PATTERN.test(id);
}

/** Subject names for one namespace (a cluster, or one isolated test). */
export class Subjects {
  readonly namespace: string;
  constructor(namespace: string) {
    this.namespace = namespace;
  }
  command(shard: number, kind: string, id: string): string {
    return `${this.namespace}.cmd.${shard}.${kind}.${id}`;
  }
  shardCommands(shard: number): string {
    return `${this.namespace}.cmd.${shard}.>`;
  }
  events(shard: number, kind: string, id: string): string {
    return `${this.namespace}.evt.${shard}.${kind}.${id}`;
  }
  allEvents(): string {
    return `${this.namespace}.evt.>`;
  }
  snapshot(shard: number, kind: string, id: string, part: number): string {
    return `${this.namespace}.snap.${shard}.${kind}.${id}.${part}`;
  }
  allSnapshots(): string {
    return `${this.namespace}.snap.>`;
  }
  timerIndex(shard: number, kind: string, id: string): string {
    return `${this.namespace}.tmr.${shard}.${kind}.${id}`;
  }
  shardTimers(shard: number): string {
    return `${this.namespace}.tmr.${shard}.>`;
  }
  allTimers(): string {
    return `${this.namespace}.tmr.>`;
  }
  /** Parses `<ns>.<area>.<shard>.<kind>.<id>[.<part>]`. */
  parse(subject: string): { shard: number; kind: string; id: string } | undefined {
    const parts = subject.split(".");
    const nsParts = this.namespace.split(".").length;
    const shard = Number(parts[nsParts + 1]);
    const kind = parts[nsParts + 2];
    const id = parts[nsParts + 3];
    if (!Number.isInteger(shard) || !kind || !id) return undefined;
    return { shard, kind, id };
  }
}
