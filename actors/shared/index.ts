/**
 * The shared kernel: what every domain speaks the same way (ids, money, time, text, keyed collections).
 * Domains import this and each other's `index.ts`, never each other's internals.
 */
export { type ActorCall, type CommandFields, commandBuilder } from "./calls.ts";
export { ID_MAX_LENGTH, ID_PATTERN, idSchema, isValidId } from "./ids.ts";
export { mapEntries, mapSchema, ownValue, safeRecordSchema } from "./keyed.ts";
export { MAX_AMOUNT, moneySchema } from "./money.ts";
export { type TextOptions, text, textProblem } from "./text.ts";
export { isoTime, reportedTimeSchema } from "./time.ts";
