import { type ActorRef, actorKey } from "./protocol.ts";

interface Entry {
  key: string;
  at: number;
}

/**
 * Local wake-ups for durable timers: one `setTimeout` for the earliest due actor. The durable truth is
 * the actor's state plus the timer index; this only decides when to knock on the actor's door.
 */
export class WakeSchedule {
  readonly #due = new Map<string, { ref: ActorRef; at: number }>();
  readonly #heap: Entry[] = [];
  readonly #onDue: (ref: ActorRef) => void;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = 0;

  constructor(onDue: (ref: ActorRef) => void, now: () => number = Date.now) {
    this.#onDue = onDue;
    this.#now = now;
  }

  get size(): number {
    return this.#due.size;
  }

  /** Sets (or with 0 clears) the actor's next wake-up. */
  set(ref: ActorRef, at: number): void {
    const key = actorKey(ref);
    if (at === 0) {
      this.#due.delete(key);
      return;
    }
    const current = this.#due.get(key);
    if (current?.at === at) return;
    this.#due.set(key, { ref, at });
    this.#push({ key, at });
    this.#arm();
  }

  dropShard(shard: number): void {
    for (const [key, entry] of this.#due) if (entry.ref.shard === shard) this.#due.delete(key);
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#due.clear();
    this.#heap.length = 0;
  }

  #arm(): void {
    const top = this.#peekLive();
    if (!top) return;
    if (this.#timer && this.#armedFor <= top.at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#armedFor = top.at;
    // setTimeout overflows past ~24.8 days; re-arming on wake handles longer timers.
    const delay = Math.min(Math.max(0, top.at - this.#now()), 2 ** 31 - 1);
    this.#timer = setTimeout(() => this.#fire(), delay);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.#now();
    for (let top = this.#peekLive(); top && top.at <= now; top = this.#peekLive()) {
      this.#pop();
      const entry = this.#due.get(top.key);
      if (!entry) continue;
      this.#due.delete(top.key);
      this.#onDue(entry.ref);
    }
    this.#arm();
  }

  /** The earliest heap entry that still matches the map (stale ones are dropped lazily). */
  #peekLive(): Entry | undefined {
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      if (this.#due.get(top.key)?.at === top.at) return top;
      this.#pop();
    }
    return undefined;
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (heap.length === 0 || !last) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l]!.at < heap[m]!.at) m = l;
      if (r < heap.length && heap[r]!.at < heap[m]!.at) m = r;
      if (m === i) break;
      [heap[m], heap[i]] = [heap[i]!, heap[m]!];
      i = m;
    }
  }
}
