import { CatalogueError } from "../../storage/catalogue/errors.ts";
import { ProblemError } from "../problem.ts";

/** Runs a catalogue store call; its refusals become problems (404 / 409 conflict / 422 validation) with the field. */
export async function catalogueCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof CatalogueError)) throw error;
    const field = error.field !== undefined ? { field: error.field } : {};
    if (error.code === "not-found") throw new ProblemError(404, "not-found", error.message, field);
    if (error.code === "conflict") throw new ProblemError(409, "conflict", error.message, field);
    throw new ProblemError(422, "validation", error.message, field);
  }
}
