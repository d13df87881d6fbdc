import { DomainError } from "../../actors/runtime/index.ts";
import { asDependencyUnavailable } from "../../platform/dependency.ts";
import {
  dependencyProblem,
  type Problem,
  ProblemError,
  problemBody,
  problemFromErrorBody,
} from "../problem.ts";
import { catalogueCall } from "./catalogue-errors.ts";

/** One item's outcome in a batch: what a single request for it would have answered. */
export interface ItemOutcome {
  ok: boolean;
  /** The status a single request for this item would have had (200, 202, 400, 404, 409, 422, 503…). */
  status: number;
  result?: unknown;
  problem?: Problem;
}

/**
 * Runs one item of a batch. Each item is one atomic write of its own (one actor command, one store
 * transaction): it applies wholly or not at all, and its refusal is reported here instead of failing the
 * items around it. An error that is nobody's refusal (a bug) still fails the request, loudly.
 */
export async function runItem(
  work: () => Promise<{ status: number; result?: unknown }>,
  requestId?: string,
): Promise<ItemOutcome> {
  try {
    const { status, result } = await catalogueCall(work);
    return { ok: true, status, ...(result !== undefined ? { result } : {}) };
  } catch (error) {
    const problem = asProblem(error);
    if (!problem) throw error;
    return { ok: false, status: problem.status, problem: problemBody(problem, undefined, requestId) };
  }
}

function asProblem(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (error instanceof DomainError) return problemFromErrorBody(error.toBody());
  const unavailable = asDependencyUnavailable(error);
  return unavailable ? dependencyProblem(unavailable) : undefined;
}
