import type { Context } from "hono";
import type { z } from "zod";
import { ProblemError, validationProblem } from "./problem.ts";

/** Parses the JSON body with `schema`; malformed JSON is 400 `malformed-json`, a bad field 400 `validation`. */
export async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json" && !/^application\/[\w.+-]+\+json$/.test(mediaType)) {
    throw new ProblemError(415, "unsupported-media-type", "send the body as application/json");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new ProblemError(400, "malformed-json", "the request body is not valid JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationProblem(parsed.error);
  return parsed.data;
}

export function parseParam<T extends z.ZodType>(value: unknown, schema: T, field: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationProblem(parsed.error, field);
  return parsed.data;
}

export function parseQuery<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw validationProblem(parsed.error);
  return parsed.data;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_:-]{1,100}$/;

export function idempotencyKey(c: Context, required: true): string;
export function idempotencyKey(c: Context, required: boolean): string | undefined;
export function idempotencyKey(c: Context, required: boolean): string | undefined {
  const key = c.req.header("idempotency-key");
  if (key === undefined) {
    if (required)
      throw new ProblemError(400, "missing-idempotency-key", "send an Idempotency-Key header", {
        field: "Idempotency-Key",
      });
    return undefined;
  }
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ProblemError(400, "validation", "Idempotency-Key: use 1–100 letters, digits, '_', ':' or '-'", {
      field: "Idempotency-Key",
    });
  }
  return key;
}
