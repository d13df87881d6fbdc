import { z } from "zod";

/**
 * C0 controls, DEL and C1 controls. Postgres refuses U+0000 in text and JSON, terminals and CSV exports
 * misread the others, and none belongs in a name, a reason or an address: one such character in one
 * event used to stop every read model.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** The same, but tab, line feed and carriage return are allowed (multi-line notes). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_EXCEPT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** Half of a surrogate pair without its other half: not encodable as UTF-8, refused by Postgres JSON. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface TextOptions {
  /** Longest accepted length, in UTF-16 code units after normalisation and trimming. */
  max: number;
  /** Shortest accepted length (default 1: free text is never empty unless the field is optional). */
  min?: number;
  /** Strip surrounding whitespace (default true). */
  trim?: boolean;
  /** Allow tab, line feed and carriage return (multi-line notes); every other control stays refused. */
  multiline?: boolean;
  /** Normalise to NFC (default true); off only for documents kept byte for byte (e.g. a channel's statement). */
  normalize?: boolean;
}

/** Why a text was refused, or undefined when it is acceptable (before length checks). */
export function textProblem(value: string, multiline = false): string | undefined {
  if ((multiline ? CONTROL_EXCEPT_LINES : CONTROL).test(value)) return "must not contain control characters";
  if (LONE_SURROGATE.test(value)) return "must be well-formed Unicode (no lone surrogates)";
  return undefined;
}

/**
 * THE text schema of the project: every free-text field (reasons, names, addresses, notes, query filters,
 * cursors, user names, callback fields) is one of these, in actors and at the gateway alike. It refuses
 * control characters and lone surrogates, normalises to Unicode NFC (so "é" typed two ways is one value
 * in searches and uniqueness checks) and bounds the length.
 *
 * @example
 * const reason = text({ max: 200 });
 * reason.parse("  damaged \u0301 ") // → "damaged ́" (trimmed, NFC)
 * reason.safeParse("a\u0000b").success // → false
 */
export function text(options: TextOptions) {
  const { max, min = 1, trim = true, multiline = false, normalize = true } = options;
  let schema = z.string().refine((value) => textProblem(value, multiline) === undefined, {
    error: (issue) => textProblem(String(issue.input), multiline) ?? "invalid text",
    abort: true,
  });
  if (normalize) schema = schema.overwrite((value) => value.normalize("NFC"));
  if (trim) schema = schema.trim();
  return schema.min(min).max(max);
}
