import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

describe("qonnect pki init / enroll / revoke", () => {
  const tmp = tempDir("qonnect-cli-pki-");
  afterAll(() => tmp.remove());

  it("inits a CA, enrols a device and a fog lead, and revokes the device", async () => {
    const io = bufferIo(tmp.path);
    expect(await run(["pki", "init", "--json"], io)).toBe(0);
    expect(JSON.parse(io.stdout).ca).toBe(join(tmp.path, "pki", "ca.pem"));

    const dev = bufferIo(tmp.path);
    expect(await run(["enroll", "device", "pi5-a", "--region", "eu-central", "--json"], dev)).toBe(0);
    const out = JSON.parse(dev.stdout);
    expect(out.uri).toBe("spiffe://qonnect/eu-central/device/pi5-a");
    expect(statSync(join(out.bundle, "key.pem")).mode & 0o777).toBe(0o600);
    const san = execFileSync("openssl", [
      "x509",
      "-in",
      join(out.bundle, "cert.pem"),
      "-noout",
      "-ext",
      "subjectAltName",
    ]);
    expect(String(san)).toContain("spiffe://qonnect/eu-central/device/pi5-a");

    expect(
      await run(
        ["enroll", "fog", "fog-1", "--region", "eu-central", "--host", "127.0.0.1"],
        bufferIo(tmp.path),
      ),
    ).toBe(0);
    expect(await run(["enroll", "kb"], bufferIo(tmp.path))).toBe(0);

    const rev = bufferIo(tmp.path);
    expect(await run(["revoke", "device", "pi5-a", "--region", "eu-central", "--json"], rev)).toBe(0);
    expect(JSON.parse(rev.stdout).revoked).toEqual([
      { serial: out.serial, uri: "spiffe://qonnect/eu-central/device/pi5-a" },
    ]);
    const crl = execFileSync("openssl", ["crl", "-in", join(tmp.path, "pki", "crl.pem"), "-noout", "-text"]);
    expect(String(crl).toLowerCase().replace(/:/g, "")).toContain(out.serial.replace(/^0+/, ""));
    expect(readFileSync(join(tmp.path, "pki", "nats", "resolver.conf"), "utf8")).toContain(
      "resolver_preload",
    );
  });

  it("usage errors exit 2 with a one-line message", async () => {
    const io = bufferIo(tmp.path);
    expect(await run(["enroll", "device", "Bad.Name", "--region", "eu"], io)).toBe(2);
    expect(io.stderr).toMatch(/lower-case/);
    expect(await run(["enroll", "device", "x"], bufferIo(tmp.path))).toBe(2);
    expect(await run(["enroll", "root", "x", "--region", "eu"], bufferIo(tmp.path))).toBe(2);
    const none = bufferIo(tmp.path);
    expect(await run(["enroll", "device", "x", "--region", "eu", "--pki", "nowhere"], none)).toBe(2);
    expect(none.stderr).toMatch(/qonnect pki init/);
    expect(await run(["revoke"], bufferIo(tmp.path))).toBe(2);
  });

  it("enrols a leafnode server whose NATS user is its region's link, denied speaking for the other regions", async () => {
    const io = bufferIo(tmp.path);
    const argv = ["enroll", "nats", "leaf-eu", "--region", "eu", "--deployment-region", "us", "--json"];
    expect(await run(argv, io), io.stderr).toBe(0);
    const creds = readFileSync(join(JSON.parse(io.stdout).bundle, "nats.creds"), "utf8");
    const jwt = creds.split("\n").find((l) => l.startsWith("ey"))!;
    const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as {
      nats: { pub: { allow: string[]; deny: string[] }; sub: { allow: string[] } };
    };
    expect(claims.nats.pub.allow).toContain("qonnect.eu.>");
    expect(claims.nats.pub.deny).toEqual(expect.arrayContaining(["qonnect.*.cmd.>", "qonnect.us.>"]));
    expect(claims.nats.sub.allow).not.toContain(">");
    expect(claims.nats.sub.allow.every((x) => !x.startsWith("qonnect.") || x.startsWith("qonnect.eu."))).toBe(
      true,
    );
  });
});
