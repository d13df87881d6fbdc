/**
 * An approved guarded action runs exactly once across a crash (issue 14 point 3, decision 0034), with a
 * real actor-node process: the final approval is durable, the node is SIGKILLed while the role change it
 * started is still in flight (held behind a row lock this test takes), and the node that takes over runs
 * it to the end — once — without anyone reading the request (its resume timer activates the actor).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import { approvalExecService } from "../node/approvals.ts";
import { PostgresPriceBook } from "../storage/prices.ts";
import { UserStore } from "../storage/users.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";
import { leaseOwners, type NodeProcess, spawnNode, waitForBalance } from "./support/processes.ts";

const ns = testNamespace("appr-rs");
const SHARDS = 64;
const nodes: NodeProcess[] = [];
let gateway: HubNode;
let admin: ApiClient;
const PASSWORD = "approvals-restart-password";
const show = (r: { status: number; body: unknown }) => `${r.status} ${JSON.stringify(r.body)}`;

beforeAll(async () => {
  await requireServices();
  nodes.push(spawnNode(ns, "a1", { LEASE_TTL: "2000" }));
  await waitForBalance(ns, ["a1"], SHARDS);
  gateway = await startTestNode(
    ns,
    { ROLES: "gateway,projector", COMMAND_DEADLINE: "30s" },
    { waitForShards: false },
  );
  admin = new ApiClient(gateway.app!);
  await admin.login();
});

afterAll(async () => {
  for (const n of nodes) n.kill("SIGKILL");
  await gateway?.stop();
  await cleanupNamespace(ns);
});

async function staff(username: string, roles: string[]): Promise<ApiClient> {
  const r = await admin.call("POST", "/v1/users", { username, password: PASSWORD, roles });
  expect(r.status, show(r)).toBe(201);
  const client = new ApiClient(gateway.app!);
  await client.login(username, PASSWORD);
  return client;
}

test("approvals restart - SIGKILL between the final approval and the action's completion: the next owner runs it, exactly once", async () => {
  const alice = await staff("alice", ["user_admin"]);
  const carol = await staff("carol", ["user_admin"]);
  await staff("target", ["viewer"]);
  const rule = await admin.call("PUT", "/v1/approval-rules/roles", {
    action: "user.roles",
    enabled: true,
    steps: [{ roles: ["user_admin"] }],
  });
  expect(rule.status, show(rule)).toBe(201);
  const held = await alice.call("PATCH", "/v1/users/target", { roles: ["viewer", "purchaser"] });
  expect(held.status, show(held)).toBe(202);
  const id = (held.body as { approvalId: string }).approvalId;

  // Hold the target's row: the approved change will start (claim inserted) and wait behind this lock.
  const lock = await gateway.sql.reserve();
  try {
    await lock`BEGIN`;
    await lock`SELECT username FROM users WHERE username = 'target' FOR UPDATE`;
    const decided = await carol.call("POST", `/v1/approvals/${id}/decision`, { decision: "approve" });
    expect(decided.status, show(decided)).toBe(200);
    expect((decided.body as { status: string }).status).toBe("approved");
    await waitFor(
      async () => {
        const [row] = await gateway.sql`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE users SET%' AND state = 'active'`;
        return (row?.n as number) > 0;
      },
      30_000,
      "the approved role change to be in flight, waiting on the row lock",
    );
    nodes[0]!.kill("SIGKILL");
    await nodes[0]!.exited;
  } finally {
    await lock`ROLLBACK`;
    lock.release();
  }
  // The killed node's transaction never commits: nothing changed yet.
  const [before] = await gateway.sql`SELECT roles FROM users WHERE username = 'target'`;
  expect(before!.roles).toEqual(["viewer"]);

  nodes.push(spawnNode(ns, "a2", { LEASE_TTL: "2000" }));
  await waitFor(
    async () => {
      const owners = await leaseOwners(ns).catch(() => new Map<number, string>());
      return owners.size === SHARDS && [...owners.values()].every((n) => n === "a2");
    },
    90_000,
    "a2 to own every shard",
  );
  // Nobody reads the request: the projected status says when the resumed action has run.
  await waitFor(
    async () => {
      const [row] = await gateway.sql`SELECT status FROM approvals WHERE id = ${id}`;
      return row?.status === "executed";
    },
    60_000,
    "the approval to be executed by the new owner",
  );
  const [after] = await gateway.sql`SELECT roles FROM users WHERE username = 'target'`;
  expect(after!.roles).toEqual(["viewer", "purchaser"]);
  const [claims] = await gateway.sql`SELECT count(*)::int AS n FROM approval_executions
    WHERE command_id = ${`approval:${id}:execute`}`;
  expect(claims!.n, "one claim of the approval's command id").toBe(1);
  const changes = await gateway.sql`SELECT principal FROM audit_log
    WHERE action = 'user.update' AND target = 'user/target' AND principal LIKE 'approval:%'`;
  expect(
    changes.map((r) => r.principal),
    "one audited change, made in the approval's name",
  ).toEqual([`approval:${id}`]);
  const view = (await admin.call("GET", `/v1/approvals/${id}`)).body as {
    status: string;
    execution: unknown;
  };
  expect(view, JSON.stringify(view)).toMatchObject({ status: "executed", execution: { ok: true } });

  // A re-send of the same effect (what a new owner does when the first run committed but its answer was
  // lost) finds the claim and changes nothing, even with a different payload.
  const exec = approvalExecService(new UserStore(gateway.sql), new PostgresPriceBook(gateway.sql));
  const again = await exec(
    "staff",
    { type: "user.roles", username: "target", roles: ["viewer"] },
    `approval:${id}:execute`,
    new AbortController().signal,
  );
  expect(again.ok, JSON.stringify(again)).toBe(true);
  const [still] = await gateway.sql`SELECT roles FROM users WHERE username = 'target'`;
  expect(still!.roles).toEqual(["viewer", "purchaser"]);
  const audited = await gateway.sql`SELECT count(*)::int AS n FROM audit_log
    WHERE action = 'user.update' AND target = 'user/target' AND principal LIKE 'approval:%'`;
  expect(audited[0]!.n).toBe(1);
});
