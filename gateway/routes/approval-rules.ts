import type { Context } from "hono";
import { guardedAction, guardedActions } from "../../actors/approval/index.ts";
import type { GatewayKit } from "../app.ts";
import type { ApprovalStore } from "../approval-ports.ts";
import { principalOf } from "../auth.ts";
import type { StaffDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { parseBody, parseParam } from "../validate.ts";
import {
  guardedActionListSchema,
  ruleBody,
  ruleIdSchema,
  ruleListSchema,
  ruleSchema,
} from "./approval-schemas.ts";

const TAG = "Approvals";

/**
 * The approval-guarded actions modules registered, and operators' rules over them (decision 0034): none
 * on a fresh install, so nothing is guarded until an operator enables one (`approval:configure`).
 */
export function approvalRuleRoutes(deps: {
  approvals?: ApprovalStore;
  /** Where a rule's approver roles and users are checked to exist (a typo would make a chain nobody can decide). */
  users?: Pick<StaffDirectory, "roles" | "find">;
}) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const store = () => {
      if (!deps.approvals)
        throw new ProblemError(503, "unavailable", "approvals are not configured on this node");
      return deps.approvals;
    };
    const audit = (c: Context) => ({ by: principalOf(c).username, requestId: kit.requestId(c) });
    const ruleIdOf = (c: Context) => parseParam(c.req.param("id"), ruleIdSchema, "id");

    define(
      {
        method: "get",
        path: "/v1/approval-actions",
        summary: "The approval-guarded actions modules registered (what a rule's `action` may name)",
        tag: TAG,
        permission: "approval:read",
        response: { status: 200, schema: guardedActionListSchema, description: "Every guarded action" },
      },
      (c) =>
        c.json({
          items: guardedActions().map((a) => ({ name: a.name, label: a.label, measure: a.measure })),
        }),
    );

    define(
      {
        method: "get",
        path: "/v1/approval-rules",
        summary: "Approval rules (none on a fresh install: nothing is guarded until an operator enables one)",
        tag: TAG,
        permission: "approval:read",
        response: { status: 200, schema: ruleListSchema, description: "Every rule" },
      },
      async (c) => c.json({ items: await store().rules() }),
    );

    define(
      {
        method: "get",
        path: "/v1/approval-rules/:id",
        summary: "One approval rule",
        tag: TAG,
        permission: "approval:read",
        response: { status: 200, schema: ruleSchema, description: "The rule" },
      },
      async (c) => {
        const id = ruleIdOf(c);
        const rule = await store().rule(id);
        if (!rule) throw new ProblemError(404, "not-found", `no approval rule ${id}`);
        return c.json(rule);
      },
    );

    define(
      {
        method: "put",
        path: "/v1/approval-rules/:id",
        summary:
          "Create or replace an approval rule: requests of `action` at or above `threshold` go through `steps` (each a role or named users, N approvals); open requests keep the chain they started with",
        tag: TAG,
        permission: "approval:configure",
        body: ruleBody,
        response: { status: 200, schema: ruleSchema, description: "The rule, replaced" },
        responses: [
          { status: 201, schema: ruleSchema, description: "The rule, created" },
          {
            status: 422,
            description:
              "Unknown action, a threshold on an action without a size, or a step naming an unknown role or user",
          },
        ],
      },
      async (c) => {
        const id = ruleIdOf(c);
        const body = await parseBody(c, ruleBody);
        const action = guardedAction(body.action);
        if (!action)
          throw new ProblemError(
            422,
            "validation",
            `no guarded action ${body.action} (GET /v1/approval-actions)`,
            {
              field: "action",
            },
          );
        const threshold = body.threshold ?? null;
        if (action.measure === "none" && threshold !== null)
          throw new ProblemError(
            422,
            "validation",
            `${action.name} has no size: a rule for it takes no threshold`,
            {
              field: "threshold",
            },
          );
        await requireKnownApprovers(deps.users, body.steps);
        const { created, rule } = await store().putRule({ id, ...body, threshold }, audit(c));
        return c.json(rule, created ? 201 : 200);
      },
    );

    define(
      {
        method: "delete",
        path: "/v1/approval-rules/:id",
        summary: "Delete an approval rule (open requests keep their chain)",
        tag: TAG,
        permission: "approval:configure",
        response: { status: 204, description: "Deleted" },
      },
      async (c) => {
        const id = ruleIdOf(c);
        if (!(await store().deleteRule(id, audit(c))))
          throw new ProblemError(404, "not-found", `no approval rule ${id}`);
        return c.body(null, 204);
      },
    );
  };
}

/** 422 naming the first step role or user that does not exist: nobody could ever decide that step. */
async function requireKnownApprovers(
  users: Pick<StaffDirectory, "roles" | "find"> | undefined,
  steps: ReadonlyArray<{ roles: readonly string[]; users: readonly string[] }>,
): Promise<void> {
  if (!users) return;
  const roles = new Set((await users.roles()).map((r) => r.name));
  for (const [index, step] of steps.entries()) {
    const role = step.roles.find((r) => !roles.has(r));
    if (role !== undefined)
      throw new ProblemError(422, "validation", `step ${index + 1} names no role ${role}`, {
        field: `steps.${index}.roles`,
      });
    for (const username of step.users)
      if (!(await users.find(username)))
        throw new ProblemError(422, "validation", `step ${index + 1} names no user ${username}`, {
          field: `steps.${index}.users`,
        });
  }
}
