/** A TCP proxy whose node→server direction can be delayed at will (network-delay fault injection). */
import { createServer, type Server, Socket } from "node:net";

export interface DelayProxy {
  port: number;
  /** Delay applied to bytes sent from clients to the upstream from now on (ms); order is always kept. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export async function startDelayProxy(upstreamPort: number): Promise<DelayProxy> {
  let delayMs = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(upstreamPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    // Chunks leave in arrival order, each no earlier than its arrival + the delay in force then.
    const queue: Array<{ due: number; data: Buffer }> = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pump = () => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.due <= now) upstream.write(queue.shift()!.data);
      if (queue.length > 0) timer = setTimeout(pump, Math.max(1, queue[0]!.due - now));
    };
    client.on("data", (data: Buffer) => {
      const last = queue.at(-1)?.due ?? 0;
      queue.push({ due: Math.max(performance.now() + delayMs, last), data });
      if (!timer) pump();
    });
    upstream.on("data", (data) => client.write(data));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", end);
    upstream.on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    setDelay(ms) {
      delayMs = ms;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
