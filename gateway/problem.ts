import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import type { ErrorBody, ErrorKind } from "../actors/runtime/index.ts";
import type { DependencyUnavailableError } from "../platform/dependency.ts";

export const PROBLEM_BASE = "https://business-hub.dev/problems/";

/** An RFC 9457 problem. `type` ends in a stable slug that clients may switch on. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** The request field at fault, as a dotted path (e.g. `qty`, `lines.0.sku`). */
  field?: string;
  errors?: Array<{ field: string; message: string }>;
  requestId?: string;
  [extension: string]: unknown;
}

/** Thrown anywhere in a route; the app's single `onError` turns it into problem+json. */
export class ProblemError extends Error {
  readonly status: ContentfulStatusCode;
  readonly slug: string;
  readonly extra: Record<string, unknown>;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    status: ContentfulStatusCode,
    slug: string,
    detail: string,
    extra: Record<string, unknown> = {},
    retryAfterSeconds?: number,
  ) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.extra = extra;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const TITLES: Record<string, string> = {
  "malformed-json": "Request body is not valid JSON",
  validation: "Request failed validation",
  "missing-idempotency-key": "Idempotency-Key header required",
  "idempotency-key-reused": "Idempotency-Key already used for a different request",
  "unknown-warehouse": "Warehouse is not registered",
  "region-not-served": "The shop does not deliver these lines to this region",
  "insufficient-stock": "Not enough sellable stock",
  "not-on-sale": "The product is not on sale",
  conflict: "Conflicts with the current state",
  "coupons-exhausted": "Every coupon of this template is issued",
  "coupon-limit-reached": "This user already holds as many of these coupons as allowed",
  "coupon-not-active": "The coupon template is not accepting claims now",
  "coupon-not-usable": "The coupon cannot be used on this cart",
  "group-buy-not-active": "The group buy is not open now",
  "presale-not-active": "The presale takes no deposits now",
  "group-full": "The group is full; open a new group",
  "group-closed": "The group has formed or failed and takes no more members",
  "already-in-group": "The buyer is in this group already",
  "group-not-found": "The group buy has no such group",
  "qty-over-limit": "More units than one group-buy order may take",
  "not-found": "Not found",
  unauthorized: "Authentication required",
  forbidden: "Not permitted",
  "payload-too-large": "Request body too large",
  "unsupported-media-type": "Content-Type must be application/json",
  overloaded: "Too busy; retry later",
  "rate-limited": "Too many requests",
  unavailable: "Temporarily unavailable; retry",
  "storage-full": "The event log is full; writes are refused until space is freed",
  internal: "Internal error",
};

/** Domain and runtime error kinds → HTTP. Actors never see HTTP; this is the only mapping. */
const KIND_TO_HTTP: Record<ErrorKind, [ContentfulStatusCode, string]> = {
  not_found: [404, "not-found"],
  conflict: [409, "conflict"],
  insufficient_stock: [409, "insufficient-stock"],
  invalid: [422, "validation"],
  forbidden: [403, "forbidden"],
  idempotency_key_reused: [422, "idempotency-key-reused"],
  overloaded: [429, "overloaded"],
  unavailable: [503, "unavailable"],
  moved: [503, "unavailable"],
  timeout: [503, "unavailable"],
  storage_full: [507, "storage-full"],
};

export function problemFromErrorBody(error: ErrorBody): ProblemError {
  const [status, slug] = KIND_TO_HTTP[error.kind] ?? [500, "internal"];
  const retryAfter =
    error.retryAfterMs !== undefined ? Math.max(1, Math.ceil(error.retryAfterMs / 1000)) : undefined;
  return new ProblemError(
    status,
    slug,
    error.message,
    error.details ?? {},
    status >= 429 ? (retryAfter ?? 1) : undefined,
  );
}

export function validationProblem(error: z.ZodError, prefix = ""): ProblemError {
  const errors = error.issues.flatMap((issue) => {
    const at = [prefix, ...issue.path.map(String)];
    // An unexpected key is reported by zod on the parent object; name the key itself.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        field: [...at, key].filter(Boolean).join("."),
        message: `unexpected field ${key}`,
      }));
    }
    return [{ field: at.filter(Boolean).join("."), message: issue.message }];
  });
  return new ProblemError(
    400,
    "validation",
    errors.map((e) => `${e.field || "(body)"}: ${e.message}`).join("; "),
    {
      field: errors[0]?.field ?? "",
      errors,
    },
  );
}

/** The problem body of `error` (e.g. one item's outcome in a batch answer). */
export function problemBody(error: ProblemError, instance?: string, requestId?: string): Problem {
  // Extensions first: a domain detail can never overwrite the problem's own members.
  return {
    ...error.extra,
    type: `${PROBLEM_BASE}${error.slug}`,
    title: TITLES[error.slug] ?? error.slug,
    status: error.status,
    detail: error.message,
    ...(instance !== undefined ? { instance } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
  };
}

export function renderProblem(c: Context, error: ProblemError): Response {
  const body = problemBody(error, c.req.path, c.get("requestId" as never) as string | undefined);
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (error.retryAfterSeconds !== undefined) headers["retry-after"] = String(error.retryAfterSeconds);
  return c.body(JSON.stringify(body), error.status, headers);
}

/** A dependency this route needs is down or too slow: 503 with Retry-After, never a 500 or a hang. */
export function dependencyProblem(error: DependencyUnavailableError): ProblemError {
  return new ProblemError(
    503,
    "unavailable",
    `${error.dependency} is unavailable; retry later`,
    { dependency: error.dependency },
    error.retryAfterSeconds,
  );
}
