// The identities of a secure real rig, checked before any relay switches: each board's bundle (what
// `qonnect enroll` wrote and `qonnect flash` installed, named by `spec.boards[].bundle`) must name that
// board — a device board `<region>/device/<name>`, the n-th fog board of a region `<region>/fog/fog-<n>` —
// and come from the same CA as the rig host's own bundle for the region (`spec.regions[].bundle`, a fog
// identity: it reads the region's telemetry and fog leads and sends the suite's raw commands).
import { isAbsolute, join } from "node:path";
import { type Bundle, BundleError, type Identity, loadBundle } from "@qonnect/pki";
import type { Board, RigManifest } from "./rig-manifest.js";

/** A bundle of the rig that is missing, unreadable or names another identity than the rig file says. */
export class RigBundleError extends Error {
  override name = "RigBundleError";
  constructor(
    readonly owner: string,
    readonly dir: string,
    readonly problem: string,
  ) {
    super(`${owner}: bundle ${dir}: ${problem}`);
  }
}

const show = (i: Identity) => `${i.region}/${i.role}/${i.id}`;

/** The identity board `board` must hold: its device name, or fog-<member> by its place among the fog boards. */
export function expectedIdentity(manifest: RigManifest, board: Board): Identity {
  if (board.role === "device") return { region: board.region, role: "device", id: board.name };
  const fog = manifest.spec.boards.filter((b) => b.role === "fog" && b.region === board.region);
  return { region: board.region, role: "fog", id: `fog-${fog.indexOf(board) + 1}` };
}

export interface RigBundles {
  /** The rig host's bundle per region. */
  rig: Map<string, Bundle>;
  /** Each checked board's bundle. */
  boards: Map<string, Bundle>;
}

/**
 * Loads and checks the bundles of `boards` and of their regions' rig host; `baseDir` resolves relative paths
 * (the rig file's directory). Throws RigBundleError naming the board or region and what to do.
 */
export function checkRigBundles(
  manifest: RigManifest,
  boards: Board[],
  baseDir: string,
  load: (dir: string) => Bundle = loadBundle,
): RigBundles {
  const at = (dir: string) => (isAbsolute(dir) ? dir : join(baseDir, dir));
  const open = (owner: string, dir: string | undefined, fix: string): Bundle => {
    if (!dir) throw new RigBundleError(owner, "(none)", `no bundle named in the rig file; ${fix}`);
    try {
      return load(at(dir));
    } catch (err) {
      if (err instanceof BundleError) throw new RigBundleError(owner, at(dir), err.message);
      throw err;
    }
  };
  const out: RigBundles = { rig: new Map(), boards: new Map() };
  for (const region of new Set(boards.map((b) => b.region))) {
    const spec = manifest.spec.regions.find((r) => r.name === region);
    const fix = `enrol it with 'qonnect enroll fog hil-rig --region ${region}'`;
    const bundle = open(`region ${region}`, spec?.bundle, fix);
    const got = bundle.identity;
    if (got.role !== "fog" || got.region !== region)
      throw new RigBundleError(
        `region ${region}`,
        bundle.dir,
        `names ${show(got)}, but the rig host needs a fog identity of ${region}; ${fix}`,
      );
    out.rig.set(region, bundle);
  }
  for (const board of boards) {
    const want = expectedIdentity(manifest, board);
    const bundle = open(
      `board ${board.name}`,
      board.bundle,
      `set spec.boards[].bundle to the directory flashed onto it`,
    );
    const got = bundle.identity;
    if (got.region !== want.region || got.role !== want.role || got.id !== want.id)
      throw new RigBundleError(
        `board ${board.name}`,
        bundle.dir,
        `names ${show(got)}, but the board must hold ${show(want)}; enrol it with 'qonnect enroll ${want.role} ${want.id} --region ${want.region}' and flash it again`,
      );
    if (bundle.caPem.trim() !== out.rig.get(board.region)?.caPem.trim())
      throw new RigBundleError(
        `board ${board.name}`,
        bundle.dir,
        `comes from another CA than the rig host's bundle for ${board.region}; enrol both from the same 'qonnect pki init'`,
      );
    out.boards.set(board.name, bundle);
  }
  return out;
}
