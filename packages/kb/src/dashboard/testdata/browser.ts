// Debian's chromium driven by playwright-core (never a downloaded browser), headless, with the flags that
// work on these machines. Console errors and page errors are collected for the tests to assert on.
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export class MissingChromiumError extends Error {
  override name = "MissingChromiumError";
  constructor() {
    super(
      `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium, or bash scripts/install.sh)`,
    );
  }
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new MissingChromiumError();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface ConsoleLog {
  errors: string[];
  /** While true, console errors are expected (the Knowledge Base is away on purpose, a refused request
   * made on purpose) and not collected. Page errors (uncaught exceptions) are always collected. */
  expectingErrors: boolean;
}

export function collectErrors(page: Page): ConsoleLog {
  const log: ConsoleLog = { errors: [], expectingErrors: false };
  page.on("console", (m) => {
    if (m.type() === "error" && !log.expectingErrors) log.errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => log.errors.push(`page error: ${e.message}`));
  return log;
}
