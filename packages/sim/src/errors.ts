// The live demo's expected failures, named, with the fields that matter; the CLI prints each as one line.

/** The demo's manifests do not hold what it needs. */
export class DemoInputError extends Error {
  override name = "DemoInputError";
  constructor(
    readonly appFile: string,
    readonly inventoryFile: string,
  ) {
    super(
      `${appFile} must hold an Application and ${inventoryFile} an Inventory; check both with \`qonnect validate\``,
    );
  }
}

/** The planner found no placement for the demo's application on its inventory. */
export class PlanInfeasibleError extends Error {
  override name = "PlanInfeasibleError";
  constructor(
    readonly app: string,
    readonly problems: string[],
  ) {
    super(
      `cannot plan ${app}: ${problems.join("; ")}; run \`qonnect plan\` on the same files for the details`,
    );
  }
}

/** A device agent refused a command the demo sent with the current fencing token. */
export class CommandRefusedError extends Error {
  override name = "CommandRefusedError";
  constructor(
    readonly device: string,
    readonly planVersion: number,
    readonly reason: string,
  ) {
    super(`${device} refused plan v${planVersion}: ${reason}; its agent's log says why`);
  }
}

/** No agent of the fleet runs for this device. */
export class UnknownDeviceError extends Error {
  override name = "UnknownDeviceError";
  constructor(readonly device: string) {
    super(`no agent runs for device ${device}; start it with VirtualFleet.start first`);
  }
}
