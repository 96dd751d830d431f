/** One attack tried against the running system, and what happened. */
export interface Attempt {
  /** area: nats | agent | raft | grpc | storage | input */
  area: string;
  name: string;
  /** the system refused it (or made it harmless) as the rules of DESIGN.md §10 say */
  refused: boolean;
  /** a process under attack died */
  crashed?: boolean;
  /** an acknowledged write or held state was lost */
  dataLost?: boolean;
  detail: string;
}

/** Runs one attack: a throw inside the attack itself counts as not refused, with the error as detail. */
export async function attempt(
  area: string,
  name: string,
  fn: () => Promise<Omit<Attempt, "area" | "name">>,
): Promise<Attempt> {
  try {
    return { area, name, ...(await fn()) };
  } catch (err) {
    return { area, name, refused: false, detail: `attack harness error: ${(err as Error).message}` };
  }
}

/** Resolves true when `p` rejects (the attack was refused), false when it succeeds. */
export async function rejects(p: Promise<unknown>): Promise<{ refused: boolean; detail: string }> {
  try {
    const v = await p;
    if (v && typeof v === "object" && "close" in v) await (v as { close(): Promise<void> }).close();
    return { refused: false, detail: "accepted" };
  } catch (err) {
    return { refused: true, detail: (err as Error).message.split("\n")[0] ?? "" };
  }
}
