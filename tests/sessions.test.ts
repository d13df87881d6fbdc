/**
 * Sign-in sessions (issue 14 item 7, decision 0032): every login is a session the user can list and
 * revoke, an administrator too; a revoked session's token is refused on ANOTHER node within the account
 * cache time, and its sockets are dropped, while the user's other sessions keep working.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { io, type Socket } from "socket.io-client";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("sessions");
/** The contract for revocations (users-api.test.ts): every node within this long. */
const REVOCATION_BOUND_MS = 5_000;
let nodeA: HubNode;
let nodeB: HubNode;
let admin: ApiClient;
const sockets: Socket[] = [];

type Session = { id: string; userAgent: string | null; current: boolean; createdAt: string };

beforeAll(async () => {
  await requireServices();
  nodeA = await startTestNode(ns, {}, { listen: true });
  // A second gateway: it learns of revocations made through node A only from the database.
  nodeB = await startTestNode(ns, { ROLES: "gateway" }, { waitForShards: false });
  admin = new ApiClient(nodeA.app!);
  await admin.login();
  for (const [username, roles] of [
    ["sess-alice", ["viewer"]],
    ["sess-admin", ["user_admin"]],
  ] as const) {
    const res = await admin.call("POST", "/v1/users", { username, password: `${username}-pw`, roles });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await nodeB?.stop();
  await nodeA?.stop();
  await cleanupNamespace(ns);
});

/** Logs in on node A with a user agent; returns clients for node A and node B with the token. */
async function login(username: string, userAgent: string) {
  const res = await new ApiClient(nodeA.app!).call(
    "POST",
    "/v1/auth/token",
    { username, password: `${username}-pw` },
    { "user-agent": userAgent },
    false,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const token = (res.body as { token: string }).token;
  const onA = new ApiClient(nodeA.app!);
  const onB = new ApiClient(nodeB.app!);
  onA.token = token;
  onB.token = token;
  const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { sid?: string };
  expect(claims.sid, "the token names its session").toMatch(/^[0-9a-f-]{36}$/);
  return { token, onA, onB, sid: claims.sid! };
}

/** Milliseconds until `client` gets `status` on `path`. */
async function msUntil(client: ApiClient, status: number, since: number): Promise<number> {
  let last = 0;
  await waitFor(
    async () => {
      last = (await client.call("GET", "/v1/me")).status;
      return last === status;
    },
    REVOCATION_BOUND_MS + 5_000,
    `status ${status} (last ${last})`,
  );
  return Date.now() - since;
}

test("sessions - a user lists their sessions and signs one out; its token is refused on another node, the other session lives", async () => {
  const laptop = await login("sess-alice", "laptop-browser/1.0");
  const phone = await login("sess-alice", "phone-app/2.0");
  const listed = await laptop.onB.call("GET", "/v1/me/sessions");
  expect(listed.status, JSON.stringify(listed.body)).toBe(200);
  const items = (listed.body as { items: Session[] }).items;
  expect(items.map((s) => [s.id, s.userAgent, s.current])).toEqual([
    [phone.sid, "phone-app/2.0", false],
    [laptop.sid, "laptop-browser/1.0", true],
  ]);
  const paged = (await laptop.onA.call("GET", "/v1/me/sessions?limit=1")).body as {
    items: Session[];
    nextCursor: string;
  };
  expect(paged.items.map((s) => s.id)).toEqual([phone.sid]);
  const next = (await laptop.onA.call("GET", `/v1/me/sessions?limit=1&cursor=${paged.nextCursor}`)).body;
  expect((next as { items: Session[] }).items.map((s) => s.id)).toEqual([laptop.sid]);

  const me = (await phone.onB.call("GET", "/v1/me")).body as { sessionId: string }; // cached on node B now
  expect(me.sessionId).toBe(phone.sid);
  const since = Date.now();
  expect((await laptop.onA.call("DELETE", `/v1/me/sessions/${phone.sid}`)).status).toBe(204);
  const ms = await msUntil(phone.onB, 401, since);
  console.log(`revoked session's token refused on the other node after ${ms} ms`);
  expect(ms).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
  expect((await laptop.onB.call("GET", "/v1/me")).status).toBe(200);
  expect((await laptop.onA.call("DELETE", `/v1/me/sessions/${phone.sid}`)).status).toBe(404);
  const after = (await laptop.onA.call("GET", "/v1/me/sessions")).body as { items: Session[] };
  expect(after.items.map((s) => s.id)).toEqual([laptop.sid]);
});

test("sessions - an administrator lists and revokes another user's session; its socket is dropped; nobody else's can be touched", async () => {
  const victim = await login("sess-alice", "kiosk/1.0");
  const userAdmin = await login("sess-admin", "admin-console/1.0");
  // A viewer cannot see or revoke someone else's sessions, not even through /v1/me.
  expect((await victim.onA.call("GET", "/v1/users/sess-admin/sessions")).status).toBe(403);
  expect((await victim.onA.call("DELETE", `/v1/me/sessions/${userAdmin.sid}`)).status).toBe(404);

  const socket = io(`http://127.0.0.1:${nodeA.server!.port}`, {
    auth: { token: victim.token },
    transports: ["websocket"],
    reconnection: false,
  });
  sockets.push(socket);
  let dropped: unknown;
  socket.on("session", (m: unknown) => {
    dropped = m;
  });
  await new Promise<void>((resolve, reject) => {
    socket.on("connect", () => resolve());
    socket.on("connect_error", reject);
  });

  const listed = (await userAdmin.onB.call("GET", "/v1/users/sess-alice/sessions")).body as {
    items: Session[];
  };
  expect(listed.items.map((s) => s.id)).toContain(victim.sid);
  expect(listed.items.every((s) => !s.current)).toBe(true);
  const since = Date.now();
  const revoked = await userAdmin.onB.call("DELETE", `/v1/users/sess-alice/sessions/${victim.sid}`);
  expect(revoked.status, JSON.stringify(revoked.body)).toBe(204);
  await waitFor(() => socket.disconnected, REVOCATION_BOUND_MS + 5_000, "socket dropped");
  console.log(`revoked session's socket dropped after ${Date.now() - since} ms`);
  expect(dropped).toEqual({ ok: false, reason: "token revoked or expired" });
  expect(await msUntil(victim.onA, 401, since)).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
  const again = await io(`http://127.0.0.1:${nodeA.server!.port}`, {
    auth: { token: victim.token },
    transports: ["websocket"],
    reconnection: false,
  });
  sockets.push(again);
  const refused = await new Promise<string>((resolve) => {
    again.on("connect_error", (e) => resolve(e.message));
    again.on("connect", () => resolve("connected"));
  });
  expect(refused).toStartWith("unauthorized");
  // Revoking an unknown or foreign session changes nothing.
  expect((await userAdmin.onA.call("DELETE", `/v1/users/sess-admin/sessions/${victim.sid}`)).status).toBe(
    404,
  );
  expect((await userAdmin.onA.call("GET", "/v1/me")).status).toBe(200);
  const audit = await nodeA.sql`SELECT principal, detail FROM audit_log
    WHERE action = 'session.revoke' AND target = ${`session/${victim.sid}`}`;
  expect(audit.map((r) => r.principal)).toEqual(["sess-admin"]);
});
