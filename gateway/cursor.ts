import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import { ProblemError } from "./problem.ts";

/** Runs a paged read-model query; a cursor the read model did not issue is the caller's 400. */
export async function pagedRead<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof InvalidCursorError)
      throw new ProblemError(400, "validation", error.message, { field: "cursor" });
    throw error;
  }
}
