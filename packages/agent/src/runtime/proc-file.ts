import { close, open, read } from "node:fs";

/** Below Buffer.poolSize / 2: Buffer.allocUnsafe serves it from the shared 8 KiB pool. */
const CHUNK_BYTES = 4000;

/**
 * Reads a small /proc or /sys file as UTF-8 text. `fs.promises.readFile` allocates a fresh 64 KiB buffer for
 * every file that reports size 0 (all of /proc): at one sample a second with a few workloads that is ~0.4 MB/s
 * of ArrayBuffers for the garbage collector, which showed up as megabytes of RSS between collections. This
 * reads in 4000-byte chunks from Node's buffer pool instead.
 */
export function readProcFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    open(path, "r", (err, fd) => {
      if (err) return reject(err);
      const chunks: Buffer[] = [];
      const next = () => {
        const buf = Buffer.allocUnsafe(CHUNK_BYTES);
        read(fd, buf, 0, CHUNK_BYTES, null, (readErr, bytes) => {
          if (readErr || bytes === 0) {
            close(fd, () => {
              if (readErr) reject(readErr);
              else
                resolve(
                  chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8"),
                );
            });
            return;
          }
          chunks.push(buf.subarray(0, bytes));
          next();
        });
      };
      next();
    });
  });
}
