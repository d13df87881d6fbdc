import { redactForLog } from "../actors/permissions/index.ts";
import { createLogger, type Logger, type LogLevel } from "../actors/runtime/index.ts";

/**
 * The logger every node writes with: JSON lines on stderr, redacted by the masking policy (decision
 * 0037) so no phone, address, e-mail, ID-card or bank-card number reaches the log unmasked, whoever logs
 * it: members named for those fields are masked, and free text is scanned for values that look like them.
 *
 * @example nodeLogger("info", { node: "n1" }).warn("refused", { address }) // address masked
 */
export function nodeLogger(
  level: LogLevel,
  base: Record<string, unknown> = {},
  sink?: (line: string) => void,
): Logger {
  return createLogger(level, base, { redact: redactForLog, ...(sink ? { sink } : {}) });
}
