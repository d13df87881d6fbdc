/**
 * The fan-out bench's dashboard clients, in a process of their own: browsers are not in the load
 * generator's event loop, and 1,000 sockets receiving updates there delayed its own HTTP timings (the
 * "growth" then partly measured the bench). Run by `fanout.ts`:
 *
 *   bun bench/fanout-watchers.ts <hub url> <token> <count>
 *
 * Protocol, one JSON object per line: it prints `{"type":"subscribed",…}` once every client has its
 * subscription answered, `{"type":"live"}` once each has seen the `FAN-SETTLE` receipt (snapshot, replay
 * and room join done); on stdin, `measure` starts counting stock updates and `report` prints
 * `{"type":"report",delivered,latencies}`; `close` ends it.
 */
import { createInterface } from "node:readline";
import { io, type Socket } from "socket.io-client";

const [url, token, countArg] = process.argv.slice(2);
const count = Number(countArg);
const sockets: Socket[] = [];
const latencies: number[] = [];
let delivered = 0;
let measuring = false;
let settled = 0;
let connected = 0;
let refused = 0;
let firstRefusal: string | undefined;
const say = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "measure") measuring = true;
  if (line === "report") say({ type: "report", delivered, latencies });
  if (line === "close") {
    for (const s of sockets) s.close();
    process.exit(0);
  }
});

await Promise.all(
  Array.from(
    { length: count },
    () =>
      new Promise<void>((resolve) => {
        const socket = io(url!, {
          auth: { token },
          transports: ["websocket"],
          reconnection: false,
          forceNew: true,
        });
        sockets.push(socket);
        socket.on("connect_error", (error) => {
          refused++;
          firstRefusal ??= error.message;
          resolve();
        });
        let live = false;
        socket.on("stock", (update: { at: number; deltas: Array<{ sku: string }> }) => {
          if (!live && update.deltas.some((d) => d.sku === "FAN-SETTLE")) {
            live = true;
            if (++settled === count) say({ type: "live" });
          }
          if (!measuring) return;
          delivered++;
          latencies.push(Date.now() - update.at);
        });
        socket.on("connect", () => {
          socket.emit("subscribe", { dashboard: "inventory" }, (ack: { ok: boolean; error?: string }) => {
            // A refused subscription (e.g. its snapshot timed out) is not a watching client.
            if (ack.ok) connected++;
            else {
              refused++;
              firstRefusal ??= ack.error;
            }
            resolve();
          });
        });
      }),
  ),
);
say({ type: "subscribed", connected, refused, firstRefusal });
