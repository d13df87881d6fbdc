import type { Server, Socket } from "socket.io";
import type { MetricsRegistry } from "../actors/runtime/index.ts";

/** Socket writes in one event-loop turn, at most: a broadcast to more sockets goes out over several. */
const SENDS_PER_TURN = 100;

/** Sends waiting for a later turn: a broadcast to its members as they were when it was made, or one emit. */
type Pending =
  | { kind: "broadcast"; ids: string[]; next: number; event: string; payload: unknown }
  | { kind: "emit"; socket: Socket; event: string; payload: unknown };

/**
 * Sends to sockets without letting a slow one hold memory or slow the feed: a socket whose write buffer
 * backs up beyond `maxBufferedPackets` is disconnected (it reconnects and resumes from its last id).
 * Broadcasts go to rooms on this node only: every node reads the log itself.
 *
 * Work per event-loop turn is capped (`sendsPerTurn`): a coalesced stock update to 1,000 dashboards was
 * 1,000 socket writes in one turn (30–50 ms on the loaded 2-core machine) during which no HTTP request or
 * actor reply was served. Beyond the cap, the rest waits for the next turn in one FIFO queue, which every
 * send joins while it is not empty, so each socket still gets everything in the order it was sent; a
 * broadcast goes to the rooms' members at the moment it was made (one encoding per slice of them).
 */
export class Delivery {
  readonly #io: Server;
  readonly #maxBufferedPackets: number;
  readonly #sendsPerTurn: number;
  readonly #queue: Pending[] = [];
  #scheduled = false;
  #delivered: (n: number) => void = () => undefined;

  constructor(
    io: Server,
    maxBufferedPackets: number,
    metrics?: MetricsRegistry,
    options: { sendsPerTurn?: number } = {},
  ) {
    this.#io = io;
    this.#maxBufferedPackets = maxBufferedPackets;
    this.#sendsPerTurn = Math.max(1, options.sendsPerTurn ?? SENDS_PER_TURN);
    if (metrics) {
      const counter = metrics.counter("hub_realtime_messages_total", "Messages sent to dashboard clients");
      this.#delivered = (n) => counter.inc({}, n);
      metrics.gauge("hub_realtime_clients", "Dashboard sockets on this node", () => io.of("/").sockets.size);
    }
  }

  emit(socket: Socket, event: string, payload: unknown): void {
    if (this.#queue.length > 0) {
      this.#queue.push({ kind: "emit", socket, event, payload });
      return;
    }
    this.#emitNow(socket, event, payload);
  }

  /** One encoding for every member of the rooms (a socket in several of them gets it once). */
  broadcast(rooms: string[], event: string, payload: unknown): void {
    const members = this.members(rooms);
    if (members === 0) return;
    this.#delivered(members);
    if (this.#queue.length === 0 && members <= this.#sendsPerTurn) {
      this.#io.local.to(rooms).emit(event, payload);
      return;
    }
    const ids = new Set<string>();
    const all = this.#io.of("/").adapter.rooms;
    for (const room of rooms) for (const id of all.get(room) ?? []) ids.add(id);
    this.#queue.push({ kind: "broadcast", ids: [...ids], next: 0, event, payload });
    // A queue that was empty starts now (its first slice this turn); otherwise its pump is scheduled.
    if (this.#queue.length === 1) this.#pump();
  }

  /** Sends are still waiting for a later turn: a producer that can coalesce (stock) should wait. */
  get busy(): boolean {
    return this.#queue.length > 0;
  }

  members(rooms: string[]): number {
    let n = 0;
    for (const room of rooms) n += this.#io.of("/").adapter.rooms.get(room)?.size ?? 0;
    return n;
  }

  dropSlowClients(): void {
    for (const socket of this.#io.of("/").sockets.values())
      if (this.#tooSlow(socket)) socket.disconnect(true);
  }

  /** Sends up to the cap now; the rest on a later turn. */
  #pump = (): void => {
    this.#scheduled = false;
    let budget = this.#sendsPerTurn;
    while (budget > 0 && this.#queue.length > 0) {
      const job = this.#queue[0]!;
      if (job.kind === "emit") {
        this.#emitNow(job.socket, job.event, job.payload);
        budget--;
        this.#queue.shift();
        continue;
      }
      const slice = job.ids.slice(job.next, job.next + budget);
      // Each socket is in the room named by its id: one broadcast (one encoding) per slice.
      this.#io.local.to(slice).emit(job.event, job.payload);
      job.next += slice.length;
      budget -= slice.length;
      if (job.next >= job.ids.length) this.#queue.shift();
    }
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#pump);
    }
  };

  #emitNow(socket: Socket, event: string, payload: unknown): void {
    if (this.#tooSlow(socket)) {
      socket.disconnect(true);
      return;
    }
    socket.emit(event, payload);
    this.#delivered(1);
  }

  #tooSlow(socket: Socket): boolean {
    const buffered = (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
    return buffered > this.#maxBufferedPackets;
  }
}
