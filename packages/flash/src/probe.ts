/** What `qonnect-board.sh probe` found on a board. */
export interface BoardFacts {
  arch: string;
  model: string;
  osId: string;
  osCodename: string;
  osPretty: string;
  bootDir: string;
  i2cConfig: "on" | "off";
  i2cDevices: string[];
  ina219: boolean;
  k3s: boolean;
  cgroupFlags: boolean;
  serviceManager: string;
  node: string;
  current: string;
  releases: string[];
  serviceActive: boolean;
  serviceEnabled: boolean;
  /** installed files: sha256, mode (octal string) and owner:group, or null when absent */
  files: Map<string, { sha256: string; mode: string; owner: string } | null>;
  release: "ok" | "missing" | "corrupt" | "unknown";
}

/** Parses the probe's lines; unknown lines are ignored so newer scripts stay readable. */
export function parseProbe(text: string): BoardFacts {
  const kv = new Map<string, string>();
  const files: BoardFacts["files"] = new Map();
  let release: BoardFacts["release"] = "unknown";
  for (const line of text.split("\n")) {
    const file = /^file (\S+) (\S+) (\S+) (\S+)$/.exec(line);
    if (file) {
      const [, path = "", sha = "-", mode = "-", owner = "-"] = file;
      files.set(path, sha === "-" ? null : { sha256: sha, mode, owner });
      continue;
    }
    const rel = /^release \S+ (ok|missing|corrupt)$/.exec(line);
    if (rel) {
      release = rel[1] as BoardFacts["release"];
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  const words = (k: string) => (kv.get(k) ?? "").split(/\s+/).filter(Boolean);
  return {
    arch: kv.get("arch") ?? "unknown",
    model: kv.get("model") ?? "unknown",
    osId: kv.get("os_id") ?? "",
    osCodename: kv.get("os_codename") ?? "",
    osPretty: kv.get("os_pretty") ?? "",
    bootDir: kv.get("boot_dir") ?? "",
    i2cConfig: kv.get("i2c_config") === "on" ? "on" : "off",
    i2cDevices: words("i2c_devices"),
    ina219: (kv.get("ina219") ?? "").startsWith("yes"),
    k3s: kv.get("k3s") === "yes",
    cgroupFlags: kv.get("cgroup_flags") === "yes",
    serviceManager: kv.get("service_manager") ?? "none",
    node: kv.get("node") ?? "none",
    current: kv.get("current") ?? "none",
    releases: words("releases"),
    serviceActive: kv.get("service_active") === "yes",
    serviceEnabled: kv.get("service_enabled") === "yes",
    files,
    release,
  };
}
