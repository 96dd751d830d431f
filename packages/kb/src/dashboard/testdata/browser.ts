// Debian's chromium driven by playwright-core (never a downloaded browser), headless, with the flags that
// work on these machines. Console errors and page errors are collected for the tests to assert on. Over TLS
// the browser trusts the deployment's CA the way a person's browser would: the CA goes into an NSS database
// (certutil, Debian's libnss3-tools) under a HOME of the browser's own; no certificate error is ignored.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

export class MissingCertutilError extends Error {
  override name = "MissingCertutilError";
  constructor() {
    super(
      "certutil not found: install Debian's libnss3-tools (apt-get install -y libnss3-tools, or bash scripts/install.sh)",
    );
  }
}

export interface LaunchOptions {
  /** PEM file of a CA the browser trusts for server certificates (the deployment's CA). */
  trustCaFile?: string;
}

/** A HOME whose NSS database (the one chromium reads on Linux) trusts `caFile` for TLS servers. */
function homeTrusting(caFile: string): string {
  const home = mkdtempSync(join(tmpdir(), "qonnect-chromium-"));
  const db = `sql:${join(home, ".pki", "nssdb")}`;
  mkdirSync(join(home, ".pki", "nssdb"), { recursive: true });
  try {
    execFileSync("certutil", ["-d", db, "-N", "--empty-password"], { stdio: "pipe" });
    execFileSync("certutil", ["-d", db, "-A", "-t", "C,,", "-n", "qonnect-deployment-ca", "-i", caFile], {
      stdio: "pipe",
    });
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new MissingCertutilError();
    throw err;
  }
  return home;
}

export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new MissingChromiumError();
  const home = options.trustCaFile ? homeTrusting(options.trustCaFile) : undefined;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    ...(home ? { env: { ...process.env, HOME: home } } : {}),
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
  if (home) browser.on("disconnected", () => rmSync(home, { recursive: true, force: true }));
  return browser;
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
