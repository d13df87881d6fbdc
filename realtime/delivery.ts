import type { Server, Socket } from "socket.io";
import type { MetricsRegistry } from "../actors/runtime/index.ts";

/**
 * Sends to sockets without letting a slow one hold memory or slow the feed: a socket whose write buffer
 * backs up beyond `maxBufferedPackets` is disconnected (it reconnects and resumes from its last id).
 * Broadcasts go to rooms on this node only: every node reads the log itself.
 */
export class Delivery {
  readonly #io: Server;
  readonly #maxBufferedPackets: number;
  #delivered: (n: number) => void = () => undefined;

  constructor(io: Server, maxBufferedPackets: number, metrics?: MetricsRegistry) {
    this.#io = io;
    this.#maxBufferedPackets = maxBufferedPackets;
    if (metrics) {
      const counter = metrics.counter("hub_realtime_messages_total", "Messages sent to dashboard clients");
      this.#delivered = (n) => counter.inc({}, n);
      metrics.gauge("hub_realtime_clients", "Dashboard sockets on this node", () => io.of("/").sockets.size);
    }
  }

  emit(socket: Socket, event: string, payload: unknown): void {
    if (this.#tooSlow(socket)) {
      socket.disconnect(true);
      return;
    }
    socket.emit(event, payload);
    this.#delivered(1);
  }

  /** One encoding for every member of the rooms (a socket in several of them gets it once). */
  broadcast(rooms: string[], event: string, payload: unknown): void {
    const members = this.members(rooms);
    if (members === 0) return;
    this.#io.local.to(rooms).emit(event, payload);
    this.#delivered(members);
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

  #tooSlow(socket: Socket): boolean {
    const buffered = (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
    return buffered > this.#maxBufferedPackets;
  }
}
