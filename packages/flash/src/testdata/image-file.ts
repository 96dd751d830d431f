import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A small Raspberry Pi OS-shaped disk image: an MBR with a FAT boot partition (bootfs: config.txt,
 * cmdline.txt, optionally Imager's firstrun.sh or user-data) and an empty Linux partition. Made with sfdisk,
 * mkfs.vfat and mtools; nothing is mounted.
 */
export function makePiImage(dir: string, extra: Record<string, string> = {}): string {
  const image = join(dir, "raspios.img");
  const part = join(dir, "bootfs.img");
  execFileSync("truncate", ["-s", "80M", image]);
  execFileSync("sfdisk", ["-q", image], {
    input: "label: dos\nstart=8192, size=98304, type=c\nstart=106496, type=83\n",
  });
  execFileSync("mkfs.vfat", ["-n", "bootfs", "-C", part, "49152"], { stdio: "ignore" });
  const files: Record<string, string> = {
    "config.txt": "# Raspberry Pi OS\ndtparam=audio=on\n#dtparam=i2c_arm=on\n[all]\n",
    "cmdline.txt":
      "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait\n",
    ...extra,
  };
  for (const [name, text] of Object.entries(files)) {
    const f = join(dir, name);
    writeFileSync(f, text);
    execFileSync("mcopy", ["-i", part, f, `::/${name}`], { env: { ...process.env, MTOOLS_SKIP_CHECK: "1" } });
    rmSync(f);
  }
  execFileSync("dd", [`if=${part}`, `of=${image}`, "bs=512", "seek=8192", "conv=notrunc", "status=none"]);
  rmSync(part);
  return image;
}
