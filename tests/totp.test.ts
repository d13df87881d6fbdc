/**
 * The optional TOTP second factor (issue 14 item 7, decision 0032) over a real node: enrol (secret shown
 * once, sealed at rest), confirm, login needs a code (clear problem types), replays refused, attempts
 * limited, disable; the policy for admin roles (here `TOTP_REQUIRED_ROLES=user_admin`).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import { totpCode, totpStep } from "../platform/totp.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("totp");
let node: HubNode;
let admin: ApiClient;
/** The last step each user's server-side record accepted: a code is only good for a later step. */
const used = new Map<string, number>();

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, { TOTP_REQUIRED_ROLES: "user_admin" });
  admin = new ApiClient(node.app!);
  await admin.login();
  for (const [username, roles] of [
    ["otp-ann", ["viewer"]],
    ["otp-carl", ["viewer"]],
    ["otp-boss", ["user_admin"]],
  ] as const) {
    const res = await admin.call("POST", "/v1/users", { username, password: `${username}-pw`, roles });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

/** A code the server has not seen yet for `username`: the earliest step still inside the drift window. */
async function nextCode(username: string, secret: string): Promise<string> {
  for (;;) {
    const now = Date.now();
    const current = totpStep(now);
    // Near a step boundary, the previous step's code could expire before the request lands.
    const earliest = (current + 1) * 30_000 - now > 5_000 ? current - 1 : current;
    const step = Math.max((used.get(username) ?? -1) + 1, earliest);
    if (step <= current + 1) {
      used.set(username, step);
      return totpCode(secret, step);
    }
    await waitFor(() => totpStep(Date.now()) > current, 31_000, "the next TOTP step");
  }
}

function wrongCode(secret: string): string {
  const step = totpStep(Date.now());
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => totpCode(secret, step + d)));
  return ["000000", "111111", "222222"].find((c) => !valid.has(c))!;
}

async function login(username: string, totp?: string) {
  const res = await new ApiClient(node.app!).call(
    "POST",
    "/v1/auth/token",
    { username, password: `${username}-pw`, ...(totp ? { totp } : {}) },
    {},
    false,
  );
  const client = new ApiClient(node.app!);
  client.token = (res.body as { token?: string }).token;
  return { res, client };
}

async function enrol(client: ApiClient, username: string): Promise<string> {
  const res = await client.call("POST", "/v1/me/totp");
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const { secret, uri } = res.body as { secret: string; uri: string };
  expect(uri).toBe(
    `otpauth://totp/Business%20Hub:${username}?secret=${secret}&issuer=Business+Hub&algorithm=SHA1&digits=6&period=30`,
  );
  expect(res.headers.get("cache-control")).toBe("no-store");
  return secret;
}

const problem = (res: { status: number; body: unknown }) =>
  `${res.status} ${(res.body as { type?: string }).type?.split("/").pop()} ${(res.body as { field?: string }).field ?? ""}`.trim();

test("totp - enrol, confirm, login needs a current code once, the secret is sealed and never shown again, disable", async () => {
  const { client } = await login("otp-ann");
  expect((await client.call("GET", "/v1/me/totp")).body).toEqual({
    enrolled: false,
    pending: false,
    confirmedAt: null,
  });
  const secret = await enrol(client, "otp-ann");
  const [stored] = await node.sql`SELECT secret FROM user_totp WHERE username = 'otp-ann'`;
  expect(stored!.secret as string).toStartWith("enc:v1:");
  expect(stored!.secret as string).not.toContain(secret);
  expect((await login("otp-ann")).res.status, "not required before it is confirmed").toBe(200);

  expect(problem(await client.call("POST", "/v1/me/totp/confirm", { code: wrongCode(secret) }))).toBe(
    "422 totp-invalid code",
  );
  const confirmed = await client.call("POST", "/v1/me/totp/confirm", {
    code: await nextCode("otp-ann", secret),
  });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(204);
  expect(problem(await client.call("POST", "/v1/me/totp"))).toBe("409 conflict");
  const status = (await client.call("GET", "/v1/me/totp")).body as Record<string, unknown>;
  expect(Object.keys(status).sort()).toEqual(["confirmedAt", "enrolled", "pending"]);
  expect(status.enrolled).toBe(true);

  expect(problem((await login("otp-ann")).res)).toBe("401 totp-required totp");
  expect(problem((await login("otp-ann", wrongCode(secret))).res)).toBe("401 totp-invalid totp");
  const code = await nextCode("otp-ann", secret);
  const signedIn = await login("otp-ann", code);
  expect(signedIn.res.status, JSON.stringify(signedIn.res.body)).toBe(200);
  const sessions = (await signedIn.client.call("GET", "/v1/me/sessions")).body as {
    items: Array<{ current: boolean; secondFactor: boolean }>;
  };
  expect(sessions.items.find((s) => s.current)?.secondFactor).toBe(true);
  expect(problem((await login("otp-ann", code)).res), "a replayed code").toBe("401 totp-invalid totp");

  const disabled = await signedIn.client.call("POST", "/v1/me/totp/disable", {
    code: await nextCode("otp-ann", secret),
  });
  expect(disabled.status, JSON.stringify(disabled.body)).toBe(204);
  expect((await login("otp-ann")).res.status).toBe(200);
  const audit =
    await node.sql`SELECT action, detail FROM audit_log WHERE target = 'user/otp-ann' AND action LIKE 'totp.%' ORDER BY id`;
  expect(audit.map((r) => r.action)).toEqual(["totp.enrol", "totp.confirm", "totp.disable"]);
  expect(JSON.stringify(audit)).not.toContain(secret);
});

test("totp - confirming is limited to 5 attempts per user per 5 minutes (429 after)", async () => {
  const { client } = await login("otp-carl");
  const secret = await enrol(client, "otp-carl");
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    statuses.push((await client.call("POST", "/v1/me/totp/confirm", { code: wrongCode(secret) })).status);
  }
  expect(statuses).toEqual([422, 422, 422, 422, 422, 429]);
  // Even the right code waits: guessing cannot continue by mixing in good attempts.
  const right = await client.call("POST", "/v1/me/totp/confirm", {
    code: await nextCode("otp-carl", secret),
  });
  expect(right.status).toBe(429);
});

test("totp - under the policy a user_admin without a code holds only self:access until enrolled; an admin can remove a lost factor", async () => {
  const before = await login("otp-boss");
  expect(before.res.status).toBe(200);
  expect(problem(await before.client.call("GET", "/v1/users"))).toBe("403 second-factor-required");
  const me = (await before.client.call("GET", "/v1/me")).body as {
    permissions: string[];
    secondFactorRequired: boolean;
  };
  expect(me).toMatchObject({ permissions: [], secondFactorRequired: true });
  const secret = await enrol(before.client, "otp-boss");
  expect(
    (await before.client.call("POST", "/v1/me/totp/confirm", { code: await nextCode("otp-boss", secret) }))
      .status,
  ).toBe(204);
  const after = await login("otp-boss", await nextCode("otp-boss", secret));
  expect(after.res.status, JSON.stringify(after.res.body)).toBe(200);
  expect((await after.client.call("GET", "/v1/users")).status).toBe(200);
  // The password-only token from before stays restricted.
  expect(problem(await before.client.call("GET", "/v1/users"))).toBe("403 second-factor-required");

  expect((await admin.call("DELETE", "/v1/users/otp-boss/totp")).status).toBe(204);
  expect(problem(await admin.call("DELETE", "/v1/users/otp-boss/totp"))).toBe("404 not-found");
  const again = await login("otp-boss");
  expect(again.res.status).toBe(200);
  expect(problem(await again.client.call("GET", "/v1/users"))).toBe("403 second-factor-required");
  // The policy is for user_admin here: other roles sign in with a password as before.
  expect((await admin.call("GET", "/v1/users")).status).toBe(200);
});
