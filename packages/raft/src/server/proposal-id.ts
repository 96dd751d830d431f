// Proposal ids for the driver's writes: 16 bytes, unique per write. A random 8-byte prefix drawn once per
// process (so that two processes, or one restarted, never share ids) and an 8-byte counter. Cheaper than 16
// fresh random bytes per write, which cost a synchronous call into the OS entropy source each time.
import { randomBytes } from "node:crypto";
import { PROPOSAL_ID_BYTES } from "./kv-state-machine.js";

export class ProposalIds {
  private readonly prefix = randomBytes(8);
  private high = 0;
  private low = 0;

  /** The next id. */
  next(): Buffer {
    const id = Buffer.allocUnsafe(PROPOSAL_ID_BYTES);
    this.prefix.copy(id, 0);
    if (++this.low > 0xffff_ffff) {
      this.low = 0;
      this.high++;
    }
    id.writeUInt32BE(this.high, 8);
    id.writeUInt32BE(this.low, 12);
    return id;
  }
}
