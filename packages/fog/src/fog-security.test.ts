// Who may call which FogLead method (DESIGN.md §10), as a table: every role against every method.
import type { Identity } from "@qonnect/pki";
import { describe, expect, it } from "vitest";
import { type FogMethod, fogCallAllowed } from "./fog-security.js";

const METHODS: FogMethod[] = [
  "getRegion",
  "watchRegion",
  "applyPlan",
  "addMember",
  "removeMember",
  "transferLeadership",
];
const who: Record<string, Identity> = {
  kb: { region: "cloud", role: "kb", id: "kb" },
  admin: { region: "cloud", role: "admin", id: "ops" },
  fog: { region: "eu", role: "fog", id: "fog-2" },
  otherFog: { region: "us", role: "fog", id: "fog-1" },
  device: { region: "eu", role: "device", id: "pi-1" },
  nats: { region: "eu", role: "nats", id: "leaf-eu" },
};

describe("fogCallAllowed", () => {
  it("gives reads to kb, admin and the region's fog leads, ApplyPlan to the kb, membership to kb and admin", () => {
    const table = Object.fromEntries(
      Object.entries(who).map(([name, peer]) => [name, METHODS.filter((m) => fogCallAllowed(m, peer, "eu"))]),
    );
    expect(table).toEqual({
      kb: METHODS,
      admin: ["getRegion", "watchRegion", "addMember", "removeMember", "transferLeadership"],
      fog: ["getRegion", "watchRegion"],
      otherFog: [],
      device: [],
      nats: [],
    });
  });

  it("refuses a method it has no rule for", () => {
    expect(fogCallAllowed("recoverMember" as FogMethod, who.kb!, "eu")).toBeFalsy();
  });
});
