/** `npm run admin -- reset-password <user>`: the way back in when nobody can log in (issue 8). */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { HubNode } from "../hub-node.ts";
import {
  ADMIN_PASSWORD,
  ApiClient,
  cleanupNamespace,
  processEnv,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ROOT = join(import.meta.dirname, "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const ns = testNamespace("admin-cli");
let node: HubNode;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, {}, { waitForShards: false });
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

function admin(args: string[], stdin: string | undefined): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(BUN, ["scripts/admin.ts", ...args], {
      cwd: ROOT,
      env: processEnv(ns),
      stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (out += d));
    if (stdin !== undefined) child.stdin!.end(stdin);
    child.on("exit", (code) => resolve({ code, out }));
  });
}

test("admin script - reset-password takes the new password from stdin; the old one stops working", async () => {
  const result = await admin(["reset-password", "admin"], "a-brand-new-password\n");
  expect(result.code, result.out).toBe(0);
  expect(result.out).not.toContain("a-brand-new-password");
  const api = new ApiClient(node.app!);
  await api.login("admin", "a-brand-new-password");
  const old = await api.call("POST", "/v1/auth/token", { username: "admin", password: ADMIN_PASSWORD });
  expect(old.status).toBe(401);
});

test("admin script - without stdin it generates a password and prints it once", async () => {
  const result = await admin(["reset-password", "admin"], undefined);
  expect(result.code, result.out).toBe(0);
  const printed = /reset to: (\S+)/.exec(result.out)?.[1];
  expect(printed, result.out).toBeDefined();
  await new ApiClient(node.app!).login("admin", printed!);
});

test("admin script - an unknown user or a bad command exits non-zero and says why", async () => {
  const unknown = await admin(["reset-password", "nobody-here"], "whatever-password");
  expect(unknown.code).toBe(1);
  expect(unknown.out).toContain("no user nobody-here");
  const usage = await admin(["frobnicate"], undefined);
  expect(usage.code).toBe(2);
  expect(usage.out).toContain("reset-password");
});
