import { parse as parseYaml, stringify as toYaml } from "yaml";

/** Where Raspberry Pi OS (Bookworm and later) mounts the boot partition. */
export const BOOT_MOUNT = "/boot/firmware";

/** The tokens that make the next boot run firstrun.sh once (as Raspberry Pi Imager writes them). */
export const FIRSTRUN_TOKENS = [
  `systemd.run=${BOOT_MOUNT}/firstrun.sh`,
  "systemd.run_success_action=reboot",
  "systemd.unit=kernel-command-line.target",
];

/**
 * cmdline.txt with the first-run tokens exactly once: tokens an earlier run (ours or Imager's) left are
 * replaced, never repeated. cmdline.txt is one line; everything else on it is kept in order.
 */
export function withFirstrunTokens(cmdline: string): string {
  const words = cmdline
    .trim()
    .split(/\s+/)
    .filter((w) => w && !/^systemd\.(run|run_success_action|unit)=/.test(w));
  return `${[...words, ...FIRSTRUN_TOKENS].join(" ")}\n`;
}

/** How many times a token occurs in cmdline.txt (tests, `qonnect flash image` reports). */
export function countToken(cmdline: string, token: string): number {
  return cmdline.split(/\s+/).filter((w) => w === token).length;
}

/** The runcmd entry that installs the payload from the boot partition, then removes it (credentials). */
export const CLOUD_INIT_RUNCMD = `sh ${BOOT_MOUNT}/qonnect/qonnect-board.sh apply ${BOOT_MOUNT}/qonnect && rm -rf ${BOOT_MOUNT}/qonnect`;

/**
 * cloud-init `user-data` with our runcmd entry added once; an existing user-data (Imager's user, Wi-Fi and
 * SSH settings) is kept. Throws when the existing file is not cloud-config.
 */
export function withCloudInitRuncmd(existing: string | undefined): string {
  let doc: Record<string, unknown> = {};
  if (existing?.trim()) {
    if (!existing.startsWith("#cloud-config"))
      throw new Error("user-data is not #cloud-config; cannot add to it");
    doc = (parseYaml(existing) as Record<string, unknown>) ?? {};
  }
  const runcmd = Array.isArray(doc.runcmd) ? [...doc.runcmd] : [];
  if (!runcmd.some((c) => c === CLOUD_INIT_RUNCMD)) runcmd.push(CLOUD_INIT_RUNCMD);
  doc.runcmd = runcmd;
  return `#cloud-config\n${toYaml(doc)}`;
}

/** meta-data for cloud-init's NoCloud source; a new instance-id makes cloud-init run again. */
export function metaData(device: string): string {
  return `instance-id: qonnect-${device}\nlocal-hostname: ${device}\n`;
}
