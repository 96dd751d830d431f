// @qonnect/kb/testing — for tests only (the dependency check enforces it): Debian's chromium driven by
// playwright-core, so that the dashboard can be tested in a browser wherever a Knowledge Base runs (here,
// beside it; in @qonnect/sim, inside the federation), and the WCAG contrast ratio of two colours.

export type { Browser, BrowserContext, Page } from "playwright-core";
export {
  CHROMIUM,
  type ConsoleLog,
  collectErrors,
  type LaunchOptions,
  launchChromium,
  MissingCertutilError,
  MissingChromiumError,
} from "./dashboard/testdata/browser.js";
export { contrast } from "./dashboard/testdata/contrast.js";
export { auditContrast, type ContrastFailure } from "./dashboard/testdata/contrast-audit.js";
