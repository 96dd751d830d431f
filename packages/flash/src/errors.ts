/** A device.yaml with problems: every problem at once, one line each. */
export class DeviceConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} problem(s): ${problems.join("; ")}`);
    this.name = "DeviceConfigError";
  }
}

/** The release to install is missing or unusable (no bundle, wrong architecture, no Node on the board). */
export class ReleaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReleaseError";
  }
}

/** The board's host key is not in known_hosts (unknown) or differs from the one recorded there (changed). */
export class HostKeyError extends Error {
  constructor(
    readonly kind: "unknown" | "changed",
    readonly host: string,
    readonly fingerprint: string,
    readonly knownHostsFile: string,
  ) {
    super(
      kind === "unknown"
        ? `${host}: unknown host key ${fingerprint}; check it on the board (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and run again with --accept-new-host-key`
        : `${host}: HOST KEY CHANGED (now ${fingerprint}), refusing to connect; if the board was re-imaged, remove its line from ${knownHostsFile} (ssh-keygen -R ${host}) and accept the new key explicitly`,
    );
    this.name = "HostKeyError";
  }
}

/** SSH could not connect, or the link broke during the run. Nothing half-installed is ever switched to. */
export class BoardLinkError extends Error {
  constructor(
    readonly target: string,
    readonly stage: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `${target}: link lost while ${stage} (${why}); nothing was switched, run the same command again to resume`,
      {
        cause,
      },
    );
    this.name = "BoardLinkError";
  }
}

/** The board script failed (exit 1) or the health gate failed (exit 3: rolled back when it could be). */
export class BoardScriptError extends Error {
  constructor(
    readonly target: string,
    readonly exitCode: number,
    readonly output: string[],
    readonly reason: string,
  ) {
    super(`${target}: ${reason}`);
    this.name = "BoardScriptError";
  }
}

/** An image file without a FAT boot partition, or one mtools cannot read. */
export class ImageError extends Error {
  constructor(
    readonly image: string,
    message: string,
  ) {
    super(`${image}: ${message}`);
    this.name = "ImageError";
  }
}
