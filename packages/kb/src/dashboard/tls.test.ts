// The dashboard over HTTPS in Debian's chromium, the way a deployment serves it: a server certificate
// issued by a deployment CA (made here with openssl), trusted by the browser through its NSS database, never
// by ignoring certificate errors. A browser without the CA refuses the page; with it, the `?token=` login
// works and the session cookie is `Secure`.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestKb, type TestKb } from "../testdata/harness.js";
import { collectErrors, launchChromium } from "./testdata/browser.js";

const LONG = { timeout: 60_000 };

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: "pipe" });
}

/** A CA, and a certificate for 127.0.0.1 it issued (serverAuth), as PEM files in `dir`. */
function deploymentCa(dir: string): { ca: string; cert: string; key: string } {
  const f = (name: string) => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    ["req", "-x509", ...ec, "-days", "2", "-subj", "/CN=qonnect test deployment CA"]
      .concat([
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ])
      .concat(["-keyout", f("ca.key"), "-out", f("ca.pem")]),
  );
  openssl(["req", "-new", ...ec, "-subj", "/CN=kb", "-keyout", f("kb.key"), "-out", f("kb.csr")]);
  writeFileSync(
    f("kb.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
  );
  openssl(
    ["x509", "-req", "-in", f("kb.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key")].concat([
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      f("kb.ext"),
      "-out",
      f("kb.pem"),
    ]),
  );
  return { ca: f("ca.pem"), cert: f("kb.pem"), key: f("kb.key") };
}

describe("dashboard over HTTPS in Debian's chromium, trusting the deployment CA", {
  timeout: 120_000,
}, () => {
  const dir = tempDir("kb-dashboard-tls-");
  let t: TestKb;
  let pem: ReturnType<typeof deploymentCa>;
  beforeAll(async () => {
    pem = deploymentCa(dir.path);
    t = await startTestKb("sqlite", {
      insecure: false,
      tls: { certFile: pem.cert, keyFile: pem.key },
      planning: false,
    });
    expect(t.kb.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:/);
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    dir.remove();
  });

  it("is refused by a browser that does not trust the CA", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await expect(page.goto(`${t.kb.httpUrl}/login`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await browser.close();
    }
  });

  it("logs in over HTTPS once the CA is trusted: a Secure, HttpOnly cookie and no console errors", async () => {
    const browser = await launchChromium({ trustCaFile: pem.ca });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const log = collectErrors(page);
      await page.goto(`${t.kb.httpUrl}/?token=${t.tokens.viewer}`);
      await page.waitForSelector("[data-role='viewer']", LONG);
      await page.waitForSelector("[data-live='live']", LONG);
      expect(page.url()).toBe(`${t.kb.httpUrl}/`);
      const cookie = (await context.cookies()).find((c) => c.name === "qonnect_session");
      expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: "Strict" });
      expect(log.errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
