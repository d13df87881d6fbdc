/**
 * Bounds a call outside the process: settles with `work`'s result, or rejects once `ms` have passed
 * (`DeadlineError`, or what `options.expired` makes). The underlying call is not cancelled (NATS and
 * JetStream calls have their own timeouts too; a paused server keeps its connections open and answers
 * nothing); the caller just stops waiting, and a late result is ignored. The one implementation of a
 * deadline in the project: `platform/dependency.ts` builds the dependency-named one on it.
 */
export function withDeadline<T>(
  work: PromiseLike<T>,
  ms: number,
  what: string,
  options: { expired?: (message: string) => Error } = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    // After a long event-loop stall the timer and the answer are due together, and timers run first:
    // give I/O one turn (setImmediate runs after it) so an answer that already arrived wins.
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          settled = true;
          const message = `${what} took longer than ${ms} ms`;
          reject(options.expired ? options.expired(message) : new DeadlineError(message));
        }),
      ms,
    );
    work.then(
      (value) => {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export class DeadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeadlineError";
  }
}
