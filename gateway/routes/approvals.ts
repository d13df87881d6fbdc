import type { Context } from "hono";
import { APPROVAL_KIND } from "../../actors/approval/index.ts";
import type { GatewayKit } from "../app.ts";
import type { ApprovalStore } from "../approval-ports.ts";
import { principalOf } from "../auth.ts";
import { pagedRead } from "../cursor.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { StaffDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import { approvalRuleRoutes } from "./approval-rules.ts";
import {
  approvalIdSchema,
  approvalListQuery,
  approvalListSchema,
  approvalSchema,
  decisionBody,
  delegationBody,
  delegationIdSchema,
  delegationListSchema,
  delegationSchema,
  ruleIdSchema,
} from "./approval-schemas.ts";

export interface ApprovalRouteDeps {
  approvals?: ApprovalStore;
  users?: Pick<StaffDirectory, "roles" | "find">;
}

const TAG = "Approvals";

/**
 * Generic approvals (issue 14, decision 0034): the guarded actions modules registered, operators' rules
 * (none on a fresh install), requests with their chain and history, decisions, and delegations.
 */
export function approvalRoutes(deps: ApprovalRouteDeps) {
  return (kit: GatewayKit) => {
    approvalRuleRoutes(deps)(kit);
    const { define, command } = kit;
    const store = () => {
      if (!deps.approvals)
        throw new ProblemError(503, "unavailable", "approvals are not configured on this node");
      return deps.approvals;
    };
    const audit = (c: Context) => ({ by: principalOf(c).username, requestId: kit.requestId(c) });
    const _ruleIdOf = (c: Context) => parseParam(c.req.param("id"), ruleIdSchema, "id");
    const approvalIdOf = (c: Context) => parseParam(c.req.param("id"), approvalIdSchema, "id");

    define(
      {
        method: "get",
        path: "/v1/approvals",
        summary:
          "Approval requests, newest first (cursor pagination); `status=pending` lists what the caller can decide now, as themselves or for whoever delegated to them (read model: may lag by a moment)",
        tag: TAG,
        permission: "approval:read",
        query: approvalListQuery,
        response: { status: 200, schema: approvalListSchema, description: "A page of requests" },
      },
      async (c) => {
        const q = parseQuery(c, approvalListQuery);
        const principal = principalOf(c);
        const decidableBy =
          q.status === "pending"
            ? {
                self: { username: principal.username, roles: [...principal.roles] },
                delegators: await store().delegatorsOf(principal.username),
              }
            : undefined;
        const page = await pagedRead(() =>
          store().list({
            limit: q.limit,
            ...(q.status ? { status: q.status } : {}),
            ...(decidableBy ? { decidableBy } : {}),
            ...(q.cursor ? { cursor: q.cursor } : {}),
          }),
        );
        return c.json(page);
      },
    );

    define(
      {
        method: "get",
        path: "/v1/approvals/:id",
        summary: "One approval request: its chain with each step's progress, its history and the outcome",
        tag: TAG,
        permission: "approval:read",
        response: { status: 200, schema: approvalSchema, description: "The request" },
      },
      async (c) => c.json(await kit.read(c, APPROVAL_KIND, approvalIdOf(c))),
    );

    define(
      {
        method: "post",
        path: "/v1/approvals/:id/decision",
        summary:
          "Approve or reject the current step (as yourself, or for a user who delegated to you); the requester never decides their own request. The last approval runs the guarded action, exactly once",
        tag: TAG,
        permission: "approval:decide",
        body: decisionBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: approvalSchema, description: "The request after the decision" },
        responses: [
          {
            status: 403,
            description: "Not an approver of the current step, or the requester (self-approval)",
          },
          { status: 409, description: "No longer pending, or already decided by you" },
        ],
      },
      async (c) => {
        const id = approvalIdOf(c);
        const body = await parseBody(c, decisionBody);
        const principal = principalOf(c);
        const delegators = await store().delegatorsOf(principal.username);
        const key = idempotencyKey(c, false);
        const options = key
          ? idempotentCommand(c, `approval-decide:${id}`, key, body)
          : { id: `approval-decide:${id}:${principal.username}:${crypto.randomUUID()}` };
        const view = await command(
          c,
          APPROVAL_KIND,
          id,
          {
            type: "decide",
            decision: body.decision,
            ...(body.comment !== undefined ? { comment: body.comment } : {}),
            as: { username: principal.username, roles: [...principal.roles] },
            onBehalfOf: delegators,
          },
          options,
        );
        return c.json(view);
      },
    );

    define(
      {
        method: "get",
        path: "/v1/approval-delegations",
        summary: "The caller's current and coming delegations, given and received",
        tag: TAG,
        permission: "approval:read",
        response: { status: 200, schema: delegationListSchema, description: "The delegations" },
      },
      async (c) => c.json({ items: await store().delegations(principalOf(c).username) }),
    );

    define(
      {
        method: "post",
        path: "/v1/approval-delegations",
        summary:
          "Delegate your approvals to another user for a period: they may decide what you may decide, in your name, until `endsAt`",
        tag: TAG,
        permission: "approval:decide",
        body: delegationBody,
        response: { status: 201, schema: delegationSchema, description: "The delegation" },
      },
      async (c) => {
        const body = await parseBody(c, delegationBody);
        const delegator = principalOf(c).username;
        if (body.to === delegator)
          throw new ProblemError(422, "validation", "you cannot delegate to yourself", { field: "to" });
        const startsAt = body.startsAt ? new Date(body.startsAt) : new Date();
        const endsAt = new Date(body.endsAt);
        if (endsAt <= startsAt || endsAt.getTime() <= Date.now())
          throw new ProblemError(422, "validation", "endsAt must be in the future and after startsAt", {
            field: "endsAt",
          });
        if (endsAt.getTime() - startsAt.getTime() > 366 * 24 * 3600 * 1000)
          throw new ProblemError(422, "validation", "a delegation lasts at most a year", { field: "endsAt" });
        const d = await store().addDelegation({ delegator, delegate: body.to, startsAt, endsAt }, audit(c));
        return c.json(d, 201);
      },
    );

    define(
      {
        method: "delete",
        path: "/v1/approval-delegations/:id",
        summary: "Revoke one of your delegations",
        tag: TAG,
        permission: "approval:decide",
        response: { status: 204, description: "Revoked" },
      },
      async (c) => {
        const id = parseParam(c.req.param("id"), delegationIdSchema, "id");
        if (!(await store().revokeDelegation(id, principalOf(c).username, audit(c))))
          throw new ProblemError(404, "not-found", `no delegation ${id} of yours`);
        return c.body(null, 204);
      },
    );
  };
}
