import { describe, expect, it } from "vitest";
import { identityFromSubjectAltName, parseSpiffeUri, spiffeUri } from "./identity.js";

describe("spiffe identities", () => {
  it("round-trips region, role and id through the URI", () => {
    const uri = spiffeUri({ region: "eu-central", role: "fog", id: "fog-1" });
    expect(uri).toBe("spiffe://qonnect/eu-central/fog/fog-1");
    expect(parseSpiffeUri(uri)).toEqual({ region: "eu-central", role: "fog", id: "fog-1" });
  });

  it("refuses names that could escape a NATS subject or a path", () => {
    for (const id of ["a.b", "a*", ">", "A", "-a", "a/b", "", "a b", "x".repeat(64)])
      expect(() => spiffeUri({ region: "eu", role: "device", id })).toThrow(/lower-case/);
    expect(() => spiffeUri({ region: "eu", role: "root" as "device", id: "a" })).toThrow(/unknown role/);
    expect(parseSpiffeUri("spiffe://qonnect/eu/root/a")).toBeUndefined();
    expect(parseSpiffeUri("spiffe://other/eu/fog/a")).toBeUndefined();
  });

  it("accepts exactly one qonnect URI SAN", () => {
    expect(identityFromSubjectAltName("DNS:localhost, URI:spiffe://qonnect/eu/fog/f1")).toEqual({
      region: "eu",
      role: "fog",
      id: "f1",
    });
    expect(
      identityFromSubjectAltName("URI:spiffe://qonnect/eu/fog/f1, URI:spiffe://qonnect/eu/kb/k"),
    ).toBeUndefined();
    expect(identityFromSubjectAltName("DNS:localhost")).toBeUndefined();
    expect(identityFromSubjectAltName(undefined)).toBeUndefined();
  });
});
