/**
 * Opaque page cursors of the read models. No driver here: the gateway recognises `InvalidCursorError`
 * without depending on a store.
 */

/** A cursor this API did not hand out. */
export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`cursor ${cursor.slice(0, 40)} is not one this API returned`);
    this.name = "InvalidCursorError";
  }
}

export function encodeCursor(seq: number, idx: number): string {
  return Buffer.from(`${seq}:${idx}`).toString("base64url");
}

export function decodeCursor(cursor: string): { seq: number; idx: number } | undefined {
  const match = /^(\d{1,15}):(\d{1,9})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) return undefined;
  return { seq: Number(match[1]), idx: Number(match[2]) };
}
