/** Structured logs: one JSON object per line on stderr, so any log shipper can parse them. */
export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /**
   * Applied to every line (message and fields) before it is written: the composition root passes the
   * masking policy's log redaction (`redactForLog`, decision 0037), so no personal data reaches the log.
   */
  redact?: (line: Record<string, unknown>) => Record<string, unknown>;
  /** Where lines go; stderr by default. */
  sink?: (line: string) => void;
}

export function createLogger(
  level: LogLevel = "info",
  base: Record<string, unknown> = {},
  options: LoggerOptions = {},
): Logger {
  const min = ORDER[level];
  const redact = options.redact ?? ((line) => line);
  const sink = options.sink ?? ((text: string) => process.stderr.write(text));
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    const line = redact({ t: new Date().toISOString(), level: lvl, msg, ...base, ...fields });
    sink(`${JSON.stringify(line, errorReplacer)}\n`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, options),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
