/**
 * THE masking policy for personal data (issue 14 item 6, decision 0037): one masker per field type, and
 * which permission lets a caller see each type unmasked. Every door applies it: HTTP answers, Socket.IO
 * pushes, CSV exports, and the logger (which never writes these fields unmasked, whoever is asking).
 *
 * Field types and their permissions:
 * - `phone` (`pii:phone`): `13812345678` → `138****5678`
 * - `email` (`pii:email`): `li.lei@example.com` → `l***@example.com`
 * - `id_card` (`pii:id_card`): `110101199003071234` → `110***********1234` (first 3, last 4)
 * - `bank_card` (`pii:bank_card`): `6222021234567890123` → `***************0123` (last 4)
 * - `address` (`pii:address`): the street line hidden (`***`), the region (district/city) kept; the
 *   receiver's name on an address belongs to it (`李*`).
 *
 * The older, broader permissions keep their meaning: `customer:pii` unmasks a customer's phone, address
 * (with the receiver's name) and e-mail; `supplier:contact` a supplier contact's name, phone and e-mail.
 * ID-card and bank-card numbers are only ever unmasked by their own permission.
 */

export const PII_FIELDS = ["phone", "address", "id_card", "bank_card", "email"] as const;
export type PiiField = (typeof PII_FIELDS)[number];

/** The permission that unmasks each field type, wherever it appears. */
export const PII_PERMISSIONS: Readonly<Record<PiiField, string>> = Object.freeze({
  phone: "pii:phone",
  address: "pii:address",
  id_card: "pii:id_card",
  bank_card: "pii:bank_card",
  email: "pii:email",
});

/** Whose data a value is: the broad permission of each subject unmasks part of the field types. */
export type PiiSubject = "customer" | "supplier";

/** Broad permissions predating the per-type ones, and the types they unmask (never ID or bank cards). */
export const BROAD_PII_PERMISSIONS: Readonly<
  Record<PiiSubject, { permission: string; fields: readonly PiiField[] }>
> = Object.freeze({
  customer: { permission: "customer:pii", fields: ["phone", "address", "email"] },
  supplier: { permission: "supplier:contact", fields: ["phone", "email"] },
});

/**
 * What one caller may see of one subject's data: the field types shown unmasked, and whether a contact
 * person's name is (a supplier contact's name follows `supplier:contact`; a receiver's name the address).
 */
export interface PiiView {
  readonly subject: PiiSubject;
  readonly fields: ReadonlySet<PiiField>;
  readonly contactName: boolean;
}

/**
 * The view of a caller who holds the permissions `can` answers for.
 *
 * @example piiView((p) => p === "pii:phone", "customer").fields // Set { "phone" }
 */
export function piiView(can: (permission: string) => boolean, subject: PiiSubject): PiiView {
  const broad = BROAD_PII_PERMISSIONS[subject];
  const holdsBroad = can(broad.permission);
  const fields = new Set<PiiField>();
  for (const field of PII_FIELDS)
    if (can(PII_PERMISSIONS[field]) || (holdsBroad && broad.fields.includes(field))) fields.add(field);
  return { subject, fields, contactName: subject === "supplier" ? holdsBroad : fields.has("address") };
}

/** A view that shows nothing unmasked (logs, and anyone without a permission). */
export function maskedView(subject: PiiSubject): PiiView {
  return { subject, fields: new Set(), contactName: false };
}

/** A stable name for a view (`none`, `address+phone`, …): one socket room and one encoding per view. */
export function viewKey(view: PiiView): string {
  const shown = PII_FIELDS.filter((f) => view.fields.has(f));
  if (view.contactName && view.subject === "supplier") shown.push("name" as PiiField);
  return shown.length === 0 ? "none" : shown.join("+");
}

// --- One masker per field type -------------------------------------------------------------------------

/** `13812345678` → `138****5678`; `+86 138-1234-5678` → `861****5678`; fewer than 7 digits: last 4 only. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  if (digits.length >= 7) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  return digits.length > 4 ? `${"*".repeat(digits.length - 4)}${digits.slice(-4)}` : "****";
}

/** `li.lei@example.com` → `l***@example.com`; not an address at all → `***`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${[...email][0]}***${email.slice(at)}`;
}

/** First 3 and last 4 kept, the rest starred (the length kept): `110101199003071234` → `110***********1234`. */
export function maskIdCard(id: string): string {
  const chars = [...id.replace(/\s/g, "")];
  if (chars.length <= 7) return "*".repeat(Math.max(chars.length, 4));
  return `${chars.slice(0, 3).join("")}${"*".repeat(chars.length - 7)}${chars.slice(-4).join("")}`;
}

/** Last 4 digits kept: `6222 0212 3456 7890` → `************7890`. */
export function maskBankCard(card: string): string {
  const digits = card.replace(/\D/g, "");
  if (digits.length <= 4) return "****";
  return `${"*".repeat(digits.length - 4)}${digits.slice(-4)}`;
}

/** The street line of an address: hidden whole (the region beside it stays, down to district/city). */
export function maskStreet(_detail: string): string {
  return "***";
}

/** A person's name: the first character kept (`李雷` → `李*`, `Li Lei` → `L*`). */
export function maskName(name: string): string {
  return `${[...name][0] ?? ""}*`;
}

export const MASKERS: Readonly<Record<PiiField, (value: string) => string>> = Object.freeze({
  phone: maskPhone,
  address: maskStreet,
  id_card: maskIdCard,
  bank_card: maskBankCard,
  email: maskEmail,
});

// --- Structural masking: every door masks by field name ------------------------------------------------

/** Member names that hold a field type wherever they appear (HTTP bodies, events, exports, log fields). */
const FIELD_OF_KEY: ReadonlyMap<string, PiiField> = new Map<string, PiiField>([
  ["phone", "phone"],
  ["mobile", "phone"],
  ["tel", "phone"],
  ["email", "email"],
  ["idCard", "id_card"],
  ["idCardNo", "id_card"],
  ["idNumber", "id_card"],
  ["bankCard", "bank_card"],
  ["cardNo", "bank_card"],
  ["accountNo", "bank_card"],
  ["address", "address"],
]);

/** Objects that hold a person: their `name` is personal (an address's receiver, a supplier's contact). */
const PERSON_HOLDERS = new Set(["address", "contact"]);

/**
 * `value` as `view` may see it: every member named for a field type (`phone`, `email`, `idCard`,
 * `bankCard`/`accountNo`, `address`) masked unless the view shows that type, at any depth. An `address`
 * object keeps its `region`, hides its `detail` and its receiver's `name` (both the address type) and
 * masks its `phone` as a phone. Returns `value` itself when nothing needed masking (callers share one
 * encoding then). Values of an unexpected type under a PII name are withheld (`null`), never passed on.
 *
 * @example maskPii({ address: { region: "Shanghai", detail: "1 Century Ave", name: "Li Lei",
 *   phone: "13812345678" } }, maskedView("customer"))
 *   // { address: { region: "Shanghai", detail: "***", name: "L*", phone: "138****5678" } }
 */
export function maskPii<T>(value: T, view: PiiView): T {
  return walk(value, view, undefined, 0) as T;
}

/** The field types `value` holds unmasked for this view (what a `pii.read` audit row names), sorted. */
export function unmaskedFields(value: unknown, view: PiiView): PiiField[] {
  const found = new Set<PiiField>();
  collect(value, view, found, 0);
  return PII_FIELDS.filter((f) => found.has(f));
}

const MAX_DEPTH = 32;

function walk(value: unknown, view: PiiView, parent: string | undefined, depth: number): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const next = walk(item, view, parent, depth + 1);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? out : value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | undefined;
  for (const [key, inner] of Object.entries(value)) {
    const next = member(key, inner, view, parent, depth);
    if (next !== inner) {
      out ??= { ...(value as Record<string, unknown>) };
      setOwn(out, key, next);
    }
  }
  return out ?? value;
}

function member(
  key: string,
  inner: unknown,
  view: PiiView,
  parent: string | undefined,
  depth: number,
): unknown {
  if (key === "name" && parent !== undefined && PERSON_HOLDERS.has(parent)) {
    const shown = parent === "address" ? view.fields.has("address") : view.contactName;
    if (shown || typeof inner !== "string") return inner;
    return maskName(inner);
  }
  if (key === "detail" && parent === "address")
    return view.fields.has("address") || typeof inner !== "string" ? inner : maskStreet(inner);
  const field = FIELD_OF_KEY.get(key);
  if (field === undefined || (field === "address" && inner !== null && typeof inner === "object"))
    return walk(inner, view, key, depth + 1);
  if (view.fields.has(field) || inner === null || inner === undefined) return inner;
  return typeof inner === "string" ? MASKERS[field](inner) : null;
}

function collect(value: unknown, view: PiiView, found: Set<PiiField>, depth: number, parent?: string): void {
  if (depth > MAX_DEPTH || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const item of value) collect(item, view, found, depth + 1, parent);
    return;
  }
  for (const [key, inner] of Object.entries(value)) {
    if (
      parent === "address" &&
      (key === "detail" || key === "name") &&
      typeof inner === "string" &&
      inner !== ""
    ) {
      if (view.fields.has("address")) found.add("address");
      continue;
    }
    const field = FIELD_OF_KEY.get(key);
    if (field !== undefined && typeof inner === "string" && inner !== "" && view.fields.has(field))
      found.add(field);
    else collect(inner, view, found, depth + 1, key);
  }
}

// --- The logger's redaction ---------------------------------------------------------------------------

/** Free text that looks like a phone (mainland mobile), an ID-card number, a bank card or an e-mail. */
const PATTERNS: ReadonlyArray<readonly [RegExp, (match: string) => string]> = [
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, maskEmail],
  // 18-character resident ID (17 digits and a digit or X), before the longer card numbers eat it.
  [
    /(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9])/g,
    maskIdCard,
  ],
  // Bank cards: 15 to 19 digits, optionally grouped by spaces or dashes.
  [/(?<![0-9])[0-9]{4}(?:[ -]?[0-9]{4}){2}[ -]?[0-9]{3,4}(?:[ -]?[0-9]{3})?(?![0-9])/g, maskBankCard],
  // Mainland mobiles (with or without +86) and other 7+ digit phone-like runs with separators.
  [/(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])/g, maskPhone],
];

/** Free text with anything that looks like personal data masked (phone, ID card, bank card, e-mail). */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, mask] of PATTERNS) out = out.replace(pattern, mask);
  return out;
}

/**
 * A log line's fields as the logger may write them: every PII member masked by its name whoever logs it,
 * and every string scanned for values that look like personal data (a phone inside an error message).
 */
export function redactForLog<T>(value: T): T {
  return redactStrings(maskPii(value, LOG_VIEW), 0) as T;
}

const LOG_VIEW: PiiView = { subject: "customer", fields: new Set(), contactName: false };

function redactStrings(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redactText(value);
  if (depth > MAX_DEPTH || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) setOwn(out, key, redactStrings(inner, depth + 1));
  return out;
}

/** An own member even when the key is `__proto__` (keys come from outside). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
