import { afterEach, expect, test } from "bun:test";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { type Socket as ClientSocket, io as connectClient } from "socket.io-client";
import { silentLogger } from "../actors/runtime/index.ts";
import { type Principal, SocketAuth } from "./socket-auth.ts";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A token the check below accepts: only its `exp` claim is read by SocketAuth itself. */
function fakeToken(expiresInMs: number): string {
  const payload = Buffer.from(JSON.stringify({ exp: Math.floor((Date.now() + expiresInMs) / 1000) }));
  return `h.${payload.toString("base64url")}.s`;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function serveWith(checkToken: (token: string) => Promise<Principal>) {
  const http = createServer();
  const io = new Server(http, { serveClient: false });
  const auth = new SocketAuth({ io, checkToken, can: () => true, log: silentLogger, recheckMs: 30 });
  auth.start();
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  const client: ClientSocket = connectClient(`http://127.0.0.1:${port}`, {
    auth: { token: fakeToken(3_600_000) },
    transports: ["websocket"],
    reconnection: false,
  });
  const sessionEvents: unknown[] = [];
  client.on("session", (event: unknown) => sessionEvents.push(event));
  cleanups.push(() => {
    client.close();
    auth.stop();
    io.close();
  });
  await waitFor(() => client.connected, "the socket to connect");
  return { client, sessionEvents };
}

test("socket auth - a token check that cannot decide (503) keeps the socket; a refusal (401) drops it", async () => {
  const principal: Principal = { username: "ops", permissions: ["dashboard:orders"] };
  let answer: "ok" | "unavailable" | "refused" = "ok";
  let checks = 0;
  const { client, sessionEvents } = await serveWith(async () => {
    checks++;
    if (answer === "unavailable")
      throw Object.assign(new Error("cannot check the token right now"), { status: 503 });
    if (answer === "refused") throw Object.assign(new Error("token revoked"), { status: 401 });
    return principal;
  });

  answer = "unavailable";
  const before = checks;
  await waitFor(() => checks >= before + 5 || !client.connected, "five re-checks during the outage");
  expect(client.connected, `dropped during a 503 outage: ${JSON.stringify(sessionEvents)}`).toBe(true);

  answer = "refused";
  await waitFor(() => !client.connected, "the socket to be dropped after a 401");
  expect(sessionEvents).toEqual([{ ok: false, reason: "token revoked or expired" }]);
});
