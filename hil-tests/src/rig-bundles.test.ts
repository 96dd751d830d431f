// A secure real rig's identities, with bundles made by @qonnect/pki (the library behind `qonnect pki init` and
// `qonnect enroll`) in temporary directories: each board's bundle must name that board and come from the rig
// host's CA; RealRig.open refuses a wrong one before it opens any relay (no GPIO is touched: the rig file's
// relay lines are on a chip this machine does not have).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { enroll, type Identity, Pki } from "@qonnect/pki";
import { tempDir } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RealRig } from "./real-rig.js";
import { checkRigBundles, expectedIdentity, RigBundleError } from "./rig-bundles.js";
import { parseRig, type RigManifest } from "./rig-manifest.js";

const SIM = join(import.meta.dirname, "../rigs/sim.yaml");

/** sim.yaml as a secure real rig whose bundles live in `dir` (board NAME → bundles/NAME, rig → bundles/rig). */
function realRig(): RigManifest {
  const text = readFileSync(SIM, "utf8")
    .replace("simulated: true", "simulated: false")
    .replace(
      "- name: eu-hil",
      "- name: eu-hil\n      nats: [tls://10.77.0.1:4222]\n      bundle: bundles/rig",
    )
    .replace(/^ {4}- name: ((?:pi|fog)[a-z0-9-]*)$/gm, "    - name: $1\n      bundle: bundles/$1");
  return parseRig(text, "bench.yaml");
}

describe("a secure real rig's bundles (spec.boards[].bundle, spec.regions[].bundle)", () => {
  const temp = tempDir();
  const dir = temp.path;
  afterAll(() => temp.remove());
  let manifest: RigManifest;
  const issue = async (pki: Pki, who: Identity, name: string) =>
    enroll(pki, who, join(dir, "bundles", name), { nowMs: Date.now() });

  beforeAll(async () => {
    manifest = realRig();
    const pki = await Pki.init(join(dir, "pki"), { nowMs: Date.now() });
    await issue(pki, { region: "eu-hil", role: "fog", id: "hil-rig" }, "rig");
    for (const b of manifest.spec.boards) await issue(pki, expectedIdentity(manifest, b), b.name);
    // a second deployment's CA, and a bundle flashed onto the wrong board
    const other = await Pki.init(join(dir, "other-pki"), { nowMs: Date.now() });
    await issue(other, { region: "eu-hil", role: "device", id: "pi5-a" }, "pi5-a-other-ca");
  }, 60_000);

  it("requires them in the rig file unless it says security: insecure (positioned errors)", () => {
    const text = readFileSync(SIM, "utf8")
      .replace("simulated: true", "simulated: false")
      .replace("- name: eu-hil", "- name: eu-hil\n      nats: [tls://10.77.0.1:4222]");
    expect(() => parseRig(text, "bench.yaml")).toThrow(
      /bench\.yaml:\d+:\d+: a secure real rig names its own bundle for region eu-hil/,
    );
    expect(() => parseRig(text, "bench.yaml")).toThrow(
      /bench\.yaml:\d+:\d+: a secure real rig names the bundle flashed onto board "pi5-a"/,
    );
    expect(
      parseRig(text.replace("simulated: false", "simulated: false\n  security: insecure")).spec.security,
    ).toBe("insecure");
    expect(parseRig(readFileSync(SIM, "utf8")).spec.security).toBe("secure");
  });

  it("accepts bundles that name each board (device by name, the n-th fog board fog-n) from the rig's CA", () => {
    const got = checkRigBundles(manifest, manifest.spec.boards, dir);
    expect(got.rig.get("eu-hil")?.identity).toEqual({ region: "eu-hil", role: "fog", id: "hil-rig" });
    expect([...got.boards].map(([b, x]) => `${b}=${x.identity.role}/${x.identity.id}`)).toEqual([
      "pi5-a=device/pi5-a",
      "pi5-b=device/pi5-b",
      "pi4-c=device/pi4-c",
      "fog-1=fog/fog-1",
      "fog-2=fog/fog-2",
      "fog-3=fog/fog-3",
    ]);
  });

  it("refuses another board's bundle, another CA's and a missing one, saying what to do", () => {
    const swap = (board: string, bundle: string): RigManifest => ({
      ...manifest,
      spec: {
        ...manifest.spec,
        boards: manifest.spec.boards.map((b) => (b.name === board ? { ...b, bundle } : b)),
      },
    });
    const fail = (m: RigManifest) => {
      try {
        checkRigBundles(m, m.spec.boards, dir);
      } catch (err) {
        if (err instanceof RigBundleError) return err.message;
        throw err;
      }
      return "accepted";
    };
    expect(fail(swap("pi5-a", "bundles/pi5-b"))).toMatch(
      /^board pi5-a: bundle .*bundles\/pi5-b: names eu-hil\/device\/pi5-b, but the board must hold eu-hil\/device\/pi5-a; enrol it with 'qonnect enroll device pi5-a --region eu-hil'/,
    );
    expect(fail(swap("fog-2", "bundles/fog-3"))).toMatch(/must hold eu-hil\/fog\/fog-2/);
    expect(fail(swap("pi5-a", "bundles/pi5-a-other-ca"))).toMatch(/comes from another CA/);
    expect(fail(swap("pi4-c", "bundles/nowhere"))).toMatch(/^board pi4-c: bundle .*is missing; enrol/);
  });

  it("RealRig.open refuses a board holding another identity before it opens any relay", async () => {
    const m: RigManifest = {
      ...manifest,
      spec: {
        ...manifest.spec,
        boards: manifest.spec.boards.map((b) => (b.name === "pi5-b" ? { ...b, bundle: "bundles/pi5-a" } : b)),
      },
    };
    const devices = m.spec.boards.filter((b) => b.role === "device");
    await expect(RealRig.open(m, { devices, baseDir: dir })).rejects.toThrow(
      /board pi5-b: .*names eu-hil\/device\/pi5-a/,
    );
  });
});
