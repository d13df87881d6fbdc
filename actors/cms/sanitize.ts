/**
 * A small, strict allow-list HTML sanitiser for the CMS rich-text component (decision 0031).
 *
 * Kept: p, h1–h4, strong, em, ul, ol, li, br, a[href] (http/https only) and img[src] (https only) with
 * alt. Elements whose content is code or markup of its own (script, style, iframe, svg, …) go with their
 * content; any other tag is dropped and its text kept. Every attribute not on the list (on*, style, …)
 * goes; text is escaped, so a stray `<` can never open a tag. Open tags are closed at the end, so one
 * component can never swallow the next. The output is stable: sanitising it again changes nothing.
 */

const ALLOWED = new Set(["p", "h1", "h2", "h3", "h4", "strong", "em", "ul", "ol", "li", "a", "img", "br"]);
const VOID = new Set(["br", "img"]);
/** Dropped together with everything inside them. */
const DROP_WITH_CONTENT = new Set([
  "script",
  "style",
  "iframe",
  "object",
  "embed",
  "template",
  "noscript",
  "textarea",
  "title",
  "svg",
  "math",
  "xmp",
  "noembed",
  "noframes",
  "select",
]);

const TOKEN =
  /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<[!?][^>]*>?|<\/?([a-zA-Z][a-zA-Z0-9]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
const ATTR = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
const ENTITY = /&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});/y;

/** Escapes text: `&` that does not start an entity, `<`, `>`, and both quotes. */
function escapeText(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "&") {
      ENTITY.lastIndex = i;
      out += ENTITY.test(s) ? "&" : "&amp;";
    } else if (ch === "<") out += "&lt;";
    else if (ch === ">") out += "&gt;";
    else if (ch === '"') out += "&quot;";
    else if (ch === "'") out += "&#39;";
    else out += ch;
  }
  return out;
}

/** A URL an attribute may carry: absolute, with one of `schemes`, no whitespace, quotes or entities. */
function safeUrl(raw: string, schemes: readonly string[]): string | undefined {
  const value = raw.trim();
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value) || /[\s"'<>`&\\]/.test(value)) return undefined;
  try {
    const url = new URL(value);
    if (!schemes.includes(url.protocol)) return undefined;
    return url.href;
  } catch {
    return undefined;
  }
}

function attributes(raw: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of raw.matchAll(ATTR)) {
    const name = m[1]!.toLowerCase();
    if (!found.has(name)) found.set(name, m[2] ?? m[3] ?? m[4] ?? "");
  }
  return found;
}

function openTag(tag: string, raw: string): string | undefined {
  if (tag === "a") {
    const href = safeUrl(attributes(raw).get("href") ?? "", ["http:", "https:"]);
    return href === undefined ? "<a>" : `<a href="${escapeText(href)}" rel="noopener noreferrer nofollow">`;
  }
  if (tag === "img") {
    const attrs = attributes(raw);
    const src = safeUrl(attrs.get("src") ?? "", ["https:"]);
    if (src === undefined) return undefined;
    const alt = attrs.get("alt");
    return `<img src="${escapeText(src)}"${alt === undefined ? "" : ` alt="${escapeText(alt)}"`}>`;
  }
  return `<${tag}>`;
}

export function sanitizeHtml(input: string): string {
  let out = "";
  const open: string[] = [];
  let dropping: string | null = null;
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(input); m !== null; m = TOKEN.exec(input)) {
    const before = input.slice(last, m.index);
    last = m.index + m[0].length;
    if (dropping === null) out += escapeText(before);
    const name = m[1]?.toLowerCase();
    if (name === undefined) continue; // comment, CDATA, doctype, processing instruction: gone
    const closing = m[0][1] === "/";
    if (dropping !== null) {
      if (closing && name === dropping) dropping = null;
      continue;
    }
    if (DROP_WITH_CONTENT.has(name)) {
      if (!closing) dropping = name;
      continue;
    }
    if (!ALLOWED.has(name)) continue;
    if (closing) {
      if (VOID.has(name)) continue;
      const at = open.lastIndexOf(name);
      if (at < 0) continue;
      while (open.length > at) out += `</${open.pop()}>`;
      continue;
    }
    const tag = openTag(name, m[2] ?? "");
    if (tag === undefined) continue;
    out += tag;
    if (!VOID.has(name)) open.push(name);
  }
  if (dropping === null) out += escapeText(input.slice(last));
  while (open.length > 0) out += `</${open.pop()}>`;
  return out;
}
