// The I2C bus as the driver sees it: the subset of i2c-bus's PromisifiedBus it uses, so the real bus and the
// virtual one (virtual-i2c-bus.ts) are interchangeable. The native addon is loaded lazily: code that never
// opens a real bus runs where the addon is missing or /dev/i2c-* does not exist.
import { access, constants } from "node:fs/promises";
import type { PromisifiedBus } from "i2c-bus";
import { I2cUnavailableError } from "./errors.js";

/**
 * The part of i2c-bus's PromisifiedBus the sensors use. SMBus word transfers are little-endian on the wire
 * (low byte first) while INA2xx registers are big-endian: use {@link readRegister16}/{@link writeRegister16}.
 */
export type I2cBus = Pick<
  PromisifiedBus,
  "readWord" | "writeWord" | "i2cRead" | "i2cWrite" | "scan" | "close"
>;

/** Swaps the two bytes of a 16-bit word (SMBus word order ↔ big-endian register order). */
export function swapBytes16(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}

/** Reads a big-endian 16-bit register with an SMBus word read. */
export async function readRegister16(bus: I2cBus, address: number, register: number): Promise<number> {
  return swapBytes16(await bus.readWord(address, register));
}

/** Writes a big-endian 16-bit register with an SMBus word write. */
export async function writeRegister16(
  bus: I2cBus,
  address: number,
  register: number,
  value: number,
): Promise<void> {
  await bus.writeWord(address, register, swapBytes16(value & 0xffff));
}

/**
 * errno names the kernel's I2C adapters return for conditions worth retrying: a NACK (ENXIO on most
 * adapters, EREMOTEIO on others, e.g. the Raspberry Pi's bcm2835), arbitration loss (EAGAIN), a busy bus,
 * a timeout, a generic I/O error.
 */
export const TRANSIENT_I2C_CODES: ReadonlySet<string> = new Set([
  "EIO",
  "ENXIO",
  "EREMOTEIO",
  "EAGAIN",
  "EBUSY",
  "ETIMEDOUT",
]);

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

type OpenPromisified = (busNumber: number) => Promise<PromisifiedBus>;

/**
 * Opens /dev/i2c-`busNumber` with the real i2c-bus addon, imported on first use. Rejects with
 * I2cUnavailableError when the device node is missing or not read/writable, or the addon cannot be loaded.
 * (i2c-bus itself opens the node lazily, on the first transfer, so the node is checked here first.)
 */
export async function openI2cBus(busNumber: number): Promise<I2cBus> {
  const node = `/dev/i2c-${busNumber}`;
  try {
    await access(node, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw new I2cUnavailableError(
      `cannot open ${node}: ${errnoCode(err) ?? (err as Error).message}`,
      busNumber,
      {
        cause: err,
      },
    );
  }
  let open: OpenPromisified;
  try {
    const mod = (await import("i2c-bus")) as {
      openPromisified?: OpenPromisified;
      default?: { openPromisified?: OpenPromisified };
    };
    const fn = mod.openPromisified ?? mod.default?.openPromisified;
    if (!fn) throw new Error("i2c-bus has no openPromisified");
    open = fn;
  } catch (err) {
    throw new I2cUnavailableError(`the i2c-bus native addon cannot be loaded`, busNumber, { cause: err });
  }
  try {
    return await open(busNumber);
  } catch (err) {
    throw new I2cUnavailableError(
      `cannot open ${node}: ${errnoCode(err) ?? (err as Error).message}`,
      busNumber,
      { cause: err },
    );
  }
}
