// A virtual I2C bus with the same promise interface as i2c-bus's PromisifiedBus (the subset in i2c-bus.ts).
// Targets see byte-level transactions exactly as on the wire, so SMBus word order, register pointers and
// NACKs behave as on a Linux adapter. No timers: everything happens when a transfer is made.
import type { BytesRead, BytesWritten } from "i2c-bus";
import type { I2cBus } from "./i2c-bus.js";

/** A device on the virtual bus, seen at the byte level. */
export interface I2cTarget {
  /** A write transaction: the bytes after the address byte, in wire order. */
  write(bytes: Uint8Array): void;
  /** A read transaction of `length` bytes, in wire order. */
  read(length: number): Uint8Array;
}

const ERRNO: Record<string, { errno: number; text: string }> = {
  EIO: { errno: 5, text: "Input/output error" },
  ENXIO: { errno: 6, text: "No such device or address" },
  EAGAIN: { errno: 11, text: "Resource temporarily unavailable" },
  EBUSY: { errno: 16, text: "Device or resource busy" },
  EBADF: { errno: 9, text: "Bad file descriptor" },
  ETIMEDOUT: { errno: 110, text: "Connection timed out" },
  EREMOTEIO: { errno: 121, text: "Remote I/O error" },
};

/** The error shape the kernel and the i2c-bus addon produce: message "CODE, text", with code and errno. */
export type I2cErrnoError = Error & { code: string; errno: number; syscall: string };

export function i2cErrnoError(code: keyof typeof ERRNO | string, syscall: string): I2cErrnoError {
  const e = ERRNO[code] ?? { errno: 5, text: "Input/output error" };
  return Object.assign(new Error(`${code}, ${e.text}`), { code, errno: e.errno, syscall });
}

export interface VirtualI2cBusOptions {
  /** The error a transfer to an address nobody answers gets: ENXIO (most adapters) or EREMOTEIO (bcm2835). */
  nackCode?: "ENXIO" | "EREMOTEIO";
}

export class VirtualI2cBus implements I2cBus {
  private readonly targets = new Map<number, I2cTarget>();
  private readonly faults: string[] = [];
  private closed = false;
  private readonly nackCode: string;
  /** Transfers attempted so far (including failed ones), for tests. */
  transfers = 0;

  constructor(options: VirtualI2cBusOptions = {}) {
    this.nackCode = options.nackCode ?? "ENXIO";
  }

  /** Puts a target at a 7-bit address (0x03..0x77). */
  attach(address: number, target: I2cTarget): this {
    if (!Number.isInteger(address) || address < 0x03 || address > 0x77)
      throw new RangeError(`I2C address 0x${address.toString(16)} is outside 0x03..0x77`);
    if (this.targets.has(address)) throw new Error(`address 0x${address.toString(16)} is already taken`);
    this.targets.set(address, target);
    return this;
  }

  detach(address: number): void {
    this.targets.delete(address);
  }

  /** Makes each of the next transfers fail with the given errno code, one per entry (fault injection). */
  failNext(count: number, code = "EIO"): void {
    for (let i = 0; i < count; i++) this.faults.push(code);
  }

  private target(address: number, syscall: string): I2cTarget {
    this.transfers++;
    if (this.closed) throw i2cErrnoError("EBADF", syscall);
    const fault = this.faults.shift();
    if (fault) throw i2cErrnoError(fault, syscall);
    const t = this.targets.get(address);
    if (!t) throw i2cErrnoError(this.nackCode, syscall);
    return t;
  }

  /** SMBus read word: write the command byte, repeated start, read two bytes; the first is the low byte. */
  async readWord(address: number, command: number): Promise<number> {
    const t = this.target(address, "readWord");
    t.write(Uint8Array.of(command & 0xff));
    const b = t.read(2);
    return (b[0] ?? 0xff) | ((b[1] ?? 0xff) << 8);
  }

  /** SMBus write word: command byte, then the low byte, then the high byte. */
  async writeWord(address: number, command: number, word: number): Promise<void> {
    this.target(address, "writeWord").write(Uint8Array.of(command & 0xff, word & 0xff, (word >> 8) & 0xff));
  }

  async i2cRead(address: number, length: number, buffer: Buffer): Promise<BytesRead> {
    const bytes = this.target(address, "i2cRead").read(length);
    buffer.set(bytes.subarray(0, length));
    return { bytesRead: length, buffer };
  }

  async i2cWrite(address: number, length: number, buffer: Buffer): Promise<BytesWritten> {
    this.target(address, "i2cWrite").write(Uint8Array.from(buffer.subarray(0, length)));
    return { bytesWritten: length, buffer };
  }

  /** Addresses that acknowledge, in [start, end] (default 0x03..0x77), like i2cdetect. */
  async scan(startAddr?: number, endAddr?: number): Promise<number[]> {
    if (this.closed) throw i2cErrnoError("EBADF", "scan");
    const start = startAddr ?? 0x03;
    const end = endAddr ?? (startAddr === undefined ? 0x77 : startAddr);
    return [...this.targets.keys()].filter((a) => a >= start && a <= end).sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
