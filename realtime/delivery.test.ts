import { afterAll, expect, test } from "bun:test";
import { Server } from "socket.io";
import { type Socket as ClientSocket, io as connectClient } from "socket.io-client";
import { Delivery } from "./delivery.ts";

const server = new Server({ serveClient: false });
const clients: ClientSocket[] = [];
afterAll(async () => {
  for (const c of clients) c.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test("delivery - broadcasts wider than the per-turn cap reach every member once, in order with emits, and only those members at the time", async () => {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  server.listen(port);
  const delivery = new Delivery(server, 10_000, undefined, { sendsPerTurn: 7 });
  const received = new Map<string, number[]>();
  const connected = new Promise<void>((resolve) => {
    let n = 0;
    server.on("connection", (socket) => {
      void socket.join("room");
      if (++n === 30) resolve();
    });
  });
  for (let i = 0; i < 30; i++) {
    const client = connectClient(`http://127.0.0.1:${port}`, { transports: ["websocket"], forceNew: true });
    clients.push(client);
    client.on("n", (n: number) => received.set(client.id!, [...(received.get(client.id!) ?? []), n]));
  }
  await connected;
  const sockets = [...server.of("/").sockets.values()];
  const late = sockets[0]!;
  await late.leave("room");
  // 1..40: broadcasts to the room (29 members, 5 turns each at 7 per turn), every fifth an emit to one socket.
  for (let n = 1; n <= 40; n++) {
    if (n % 5 === 0) for (const s of sockets.slice(1)) delivery.emit(s, "n", n);
    else delivery.broadcast(["room"], "n", n);
    // The late socket joins after 20 was sent: it must get 21.. (its joining does not reach back).
    if (n === 20) await late.join("room");
  }
  expect(delivery.busy).toBe(true);
  const deadline = Date.now() + 10_000;
  const total = () => [...received.values()].reduce((a, l) => a + l.length, 0);
  const expected = 29 * 40 + 16; // the late socket: broadcasts 21..39 that are not emits (16 of them)
  while (total() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  expect(delivery.busy).toBe(false);
  const lateClient = clients.find((c) => c.id === late.id)!;
  for (const c of clients) {
    const got = received.get(c.id!) ?? [];
    if (c === lateClient)
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i + 21).filter((n) => n % 5 !== 0));
    else expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  }
});
