import { describe, expect, it } from "vitest";
import { PROPOSAL_ID_BYTES } from "./kv-state-machine.js";
import { ProposalIds } from "./proposal-id.js";

describe("ProposalIds", () => {
  it("gives distinct 16-byte ids, and distinct prefixes to distinct generators", () => {
    const a = new ProposalIds();
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = a.next();
      expect(id.length).toBe(PROPOSAL_ID_BYTES);
      seen.add(id.toString("hex"));
    }
    expect(seen.size).toBe(10_000);
    const b = new ProposalIds();
    expect(b.next().subarray(0, 8).equals(a.next().subarray(0, 8))).toBe(false);
  });

  it("carries the counter into its high word", () => {
    const ids = new ProposalIds();
    (ids as unknown as { low: number }).low = 0xffff_ffff;
    const id = ids.next();
    expect(id.readUInt32BE(8)).toBe(1);
    expect(id.readUInt32BE(12)).toBe(0);
  });
});
