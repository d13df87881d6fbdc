/**
 * The dashboards' browser tests share one way to reach Chromium: the system package (never a download),
 * driven through playwright-core, headless, a zh-CN page that records its script errors, and a signed-in
 * session put where the dashboards' sign-in form would put it.
 */
import { existsSync, mkdirSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
/** Screenshots of failed browser tests. */
export const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;

/** Fails with how to install Chromium when it is missing (browser tests are never skipped). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need the system Chromium; run \`bash scripts/setup-chromium.sh\``,
    );
  mkdirSync(ARTIFACTS, { recursive: true });
}

/**
 * Launches Chromium with one zh-CN page; the page's uncaught errors and console errors go to `errors`
 * (unless `expected` says a console error is part of the test, e.g. a refused sign-in's 401).
 */
export async function openDashboardBrowser(
  viewport: { width: number; height: number },
  errors: string[],
  expected: (consoleError: string) => boolean = () => false,
): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport, locale: "zh-CN" });
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !expected(msg.text())) errors.push(msg.text());
  });
  return { browser, page };
}

/** Signs the page in as the dashboards' own form does (session storage), on the hub at `base`. */
export async function signIn(page: Page, base: string, token: string, user = "admin"): Promise<void> {
  await page.goto(`${base}/dashboard/`);
  await page.evaluate(
    ([t, u]) => {
      sessionStorage.setItem("hub.token", t);
      sessionStorage.setItem("hub.user", u);
    },
    [token, user] as const,
  );
}

/**
 * Waits in the page until `fn(arg)` is truthy. On timeout it fails with what the page showed instead
 * (`seen`, read at that moment), so a failure under load says what the page had, not only "timed out".
 */
export async function waitInPage<A>(
  page: Page,
  fn: (arg: A) => unknown,
  arg: A,
  what: string,
  seen: (page: Page) => Promise<unknown>,
  timeoutMs = 30_000,
): Promise<void> {
  try {
    await page.waitForFunction(fn as (arg: unknown) => unknown, arg, { timeout: timeoutMs, polling: 100 });
  } catch (error) {
    const shown = await seen(page).catch(() => "");
    throw new Error(
      `timed out waiting in the page for ${what} (${typeof shown === "string" ? shown : JSON.stringify(shown)}): ${(error as Error).message.split("\n")[0]}`,
    );
  }
}
