// `qonnect fog`: run a fog lead, show the region group, change its members, hand over leadership.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CliError, EXIT, type Io } from "../io.js";
import type { Register } from "./index.js";

/** The fog package (Raft, gRPC, NATS, planner) loads only when a fog command runs. */
const fogPackage = () => import("@qonnect/fog");

interface ClientOpts {
  endpoints: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  bundle?: string;
  insecure?: boolean;
}

const VERDICTS = ["unspecified", "alive", "suspect", "dead", "unreachable"];

async function client(o: ClientOpts, io: Io) {
  const { FogClient, fogClientCredentials } = await fogPackage();
  const endpoints = o.endpoints
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (endpoints.length === 0) throw new CliError("--endpoints needs at least one HOST:PORT", EXIT.usage);
  for (const e of endpoints)
    if (!/^[^\s:]+:\d+$/.test(e)) throw new CliError(`endpoint "${e}" is not HOST:PORT`, EXIT.usage);
  const grpc = await import("@grpc/grpc-js");
  const tls = [o.tlsCa, o.tlsCert, o.tlsKey].filter(Boolean).length;
  if (tls > 0 && tls < 3)
    throw new CliError("TLS needs all three of --tls-ca, --tls-cert and --tls-key", EXIT.usage);
  if (o.bundle) {
    if (tls > 0) throw new CliError("give either --bundle or --tls-ca/--tls-cert/--tls-key", EXIT.usage);
    const { BundleError, loadBundle } = await import("@qonnect/pki");
    try {
      return new FogClient(endpoints, fogClientCredentials(loadBundle(resolve(io.cwd, o.bundle))));
    } catch (err) {
      if (err instanceof BundleError) throw new CliError(err.message, EXIT.usage);
      throw err;
    }
  }
  if (tls === 0 && !o.insecure)
    throw new CliError(
      "give --bundle DIR (an admin or kb bundle), or --tls-ca, --tls-cert and --tls-key, or --insecure for plaintext",
      EXIT.usage,
    );
  const read = (f: string) => readFileSync(resolve(io.cwd, f));
  const creds =
    tls === 3
      ? grpc.credentials.createSsl(read(o.tlsCa!), read(o.tlsKey!), read(o.tlsCert!))
      : grpc.credentials.createInsecure();
  return new FogClient(endpoints, creds);
}

function withClientOptions<
  T extends { option(flags: string, desc: string): T; requiredOption(flags: string, desc: string): T },
>(c: T): T {
  return c
    .requiredOption("-e, --endpoints <list>", "fog leads' gRPC addresses, comma-separated HOST:PORT")
    .option("--tls-ca <file>", "CA certificate (PEM)")
    .option("--tls-cert <file>", "client certificate (PEM)")
    .option("--tls-key <file>", "client key (PEM)")
    .option("--bundle <dir>", "mutual TLS with a `qonnect enroll admin` (or kb) bundle")
    .option("--insecure", "plaintext gRPC (tests and loopback only)");
}

/**
 * The fog lead configuration at `file`, or undefined after printing every problem and what to do next
 * (`command` is the one to run again, `untouched` what did not happen).
 */
async function loadConfigOrExplain(io: Io, file: string, command: string, untouched: string) {
  const { FogConfigError, loadFogConfig } = await fogPackage();
  try {
    return loadFogConfig(resolve(io.cwd, file));
  } catch (err) {
    if (!(err instanceof FogConfigError)) throw err;
    for (const p of err.problems) io.err(`${p}\n`);
    io.err(`fix the configuration above and run \`${command}\` again; ${untouched}\n`);
    return undefined;
  }
}

export const registerFog: Register = (program, io, outcome) => {
  const fog = program
    .command("fog")
    .description("the fog lead: a region's replicated control plane (run, status, members)");

  fog
    .command("run")
    .description("run one fog lead of a region (stops on Ctrl-C)")
    .requiredOption("-c, --config <file>", "fog lead configuration (YAML; see docs/fog.md)")
    .action(async (opts: { config: string }) => {
      const { FogIdentityError, startFogLead, createFogLogger } = await fogPackage();
      const { BundleError } = await import("@qonnect/pki");
      const config = await loadConfigOrExplain(io, opts.config, "qonnect fog run", "nothing was started");
      if (!config) {
        outcome.exitCode = EXIT.usage;
        return;
      }
      const log = createFogLogger(config.log.level);
      let lead: Awaited<ReturnType<typeof startFogLead>>;
      try {
        lead = await startFogLead(config, log);
      } catch (err) {
        if (!(err instanceof FogIdentityError || err instanceof BundleError)) throw err;
        io.err(`${err.message}\nnothing was started\n`);
        outcome.exitCode = EXIT.usage;
        return;
      }
      await new Promise<void>((done) => {
        process.once("SIGINT", () => done());
        process.once("SIGTERM", () => done());
      });
      await lead.stop();
    });

  fog
    .command("recover")
    .description(
      "bring a region that lost its quorum back from this stopped member's data: a one-member group (re-add the others)",
    )
    .requiredOption("-c, --config <file>", "the surviving member's fog lead configuration")
    .option("--json", "print one JSON document")
    .action(async (opts: { config: string; json?: boolean }) => {
      const { FogRecoverError, recoverRegion } = await fogPackage();
      const config = await loadConfigOrExplain(io, opts.config, "qonnect fog recover", "nothing was changed");
      if (!config) {
        outcome.exitCode = EXIT.usage;
        return;
      }
      try {
        const r = recoverRegion(config, Date.now());
        if (opts.json) io.out(`${JSON.stringify(r)}\n`);
        else
          io.out(
            `member ${r.member} now leads a one-member group of region ${config.region}: state at index ${r.index} ` +
              `(term ${r.term}, plan version ${r.planVersion}, ${r.devices} devices; ${r.droppedEntries} uncommitted ` +
              `entries dropped); the old data is kept in ${r.keptAs}\n` +
              "start it with `qonnect fog run`, then add each other member back (an empty data directory, " +
              "initialClusterState: existing) with `qonnect fog member add --id N --learner`, and once it has " +
              "caught up promote it with `qonnect fog member add --id N`\n",
          );
      } catch (err) {
        if (!(err instanceof FogRecoverError)) throw err;
        throw new CliError(err.message, EXIT.failed);
      }
    });

  withClientOptions(
    fog
      .command("status")
      .description(
        "the region group as every endpoint sees it: members, leader, term, commit index, devices, plan",
      )
      .option("-r, --region <region>", "region name (checked by the fog leads)", "")
      .option("--json", "print one JSON document"),
  ).action(async (opts: ClientOpts & { region: string; json?: boolean }) => {
    const c = await client(opts, io);
    try {
      const views = await c.status(opts.region);
      const ok = views.filter((v) => v.ok && v.region);
      if (ok.length === 0)
        throw new CliError(
          `no fog lead answered at ${opts.endpoints} (${views.map((v) => v.error).join("; ")}); check the addresses and that the leads run`,
          EXIT.failed,
        );
      // the view of the member with the highest term and commit index is the freshest
      const best = ok.reduce((a, b) =>
        b.region!.term > a.region!.term ||
        (b.region!.term === a.region!.term && b.region!.commitIndex > a.region!.commitIndex)
          ? b
          : a,
      ).region!;
      const byVerdict = Object.fromEntries(VERDICTS.map((v) => [v, 0]));
      for (const d of best.devices) byVerdict[VERDICTS[d.verdict] ?? "unspecified"]!++;
      const doc = {
        region: best.region,
        leaderId: best.leaderId,
        term: best.term,
        commitIndex: best.commitIndex,
        planVersion: best.planVersion,
        planId: best.planId,
        planInProgress: best.planInProgress,
        members: best.members.map((m) => ({
          id: m.id,
          address: m.raftAddress,
          learner: m.learner,
          leader: m.leader,
        })),
        devices: byVerdict,
        endpoints: views.map((v) =>
          v.ok
            ? {
                endpoint: v.endpoint,
                ok: true,
                leaderId: v.region!.leaderId,
                term: v.region!.term,
                commitIndex: v.region!.commitIndex,
              }
            : { endpoint: v.endpoint, ok: false, error: v.error },
        ),
      };
      if (opts.json) {
        io.out(`${JSON.stringify(doc, null, 2)}\n`);
        return;
      }
      const lines = [
        `region ${doc.region}: leader ${doc.leaderId || "none"}, term ${doc.term}, commit ${doc.commitIndex}, plan v${doc.planVersion}${doc.planInProgress ? " (executing)" : ""}`,
        `devices: ${VERDICTS.map((v) => `${byVerdict[v]} ${v}`).join(", ")}`,
        "MEMBER  ADDRESS                ROLE",
        ...doc.members.map(
          (m) =>
            `${String(m.id).padEnd(7)} ${m.address.padEnd(22)} ${m.leader ? "leader" : m.learner ? "learner" : "voter"}`,
        ),
        ...doc.endpoints.filter((e) => !e.ok).map((e) => `unreachable: ${e.endpoint} (${e.error})`),
      ];
      io.out(`${lines.join("\n")}\n`);
    } finally {
      c.close();
    }
  });

  const member = fog
    .command("member")
    .description("add or remove a member of the region group (one at a time)");
  withClientOptions(
    member
      .command("add")
      .description("add a voter (or a learner) that every member's fog.yaml already lists in peers")
      .requiredOption("--id <n>", "member id")
      .option("--address <host:port>", "its gRPC address (checked against fog.yaml)", "")
      .option("--learner", "add as a non-voting learner"),
  ).action(async (opts: ClientOpts & { id: string; address: string; learner?: boolean }) => {
    const id = Number(opts.id);
    if (!Number.isInteger(id) || id < 1)
      throw new CliError(`--id must be an integer ≥ 1, got "${opts.id}"`, EXIT.usage);
    const c = await client(opts, io);
    try {
      const r = await c.addMember({
        id,
        raftAddress: opts.address,
        fogAddress: opts.address,
        learner: Boolean(opts.learner),
      });
      io.out(`${JSON.stringify({ members: r.members }, null, 2)}\n`);
    } catch (err) {
      throw new CliError(`adding member ${id} failed: ${(err as Error).message}`, EXIT.failed);
    } finally {
      c.close();
    }
  });
  withClientOptions(
    member
      .command("remove")
      .description("remove a member from the region group")
      .requiredOption("--id <n>", "member id"),
  ).action(async (opts: ClientOpts & { id: string }) => {
    const id = Number(opts.id);
    if (!Number.isInteger(id) || id < 1)
      throw new CliError(`--id must be an integer ≥ 1, got "${opts.id}"`, EXIT.usage);
    const c = await client(opts, io);
    try {
      const r = await c.removeMember(id);
      io.out(`${JSON.stringify({ members: r.members }, null, 2)}\n`);
    } catch (err) {
      throw new CliError(`removing member ${id} failed: ${(err as Error).message}`, EXIT.failed);
    } finally {
      c.close();
    }
  });

  withClientOptions(
    fog
      .command("transfer")
      .description("hand leadership to another member (default: the most up-to-date one)")
      .option("--to <n>", "member id to take over", "0"),
  ).action(async (opts: ClientOpts & { to: string }) => {
    const to = Number(opts.to);
    if (!Number.isInteger(to) || to < 0)
      throw new CliError(`--to must be a member id, got "${opts.to}"`, EXIT.usage);
    const c = await client(opts, io);
    try {
      const r = await c.transfer(to);
      io.out(`${JSON.stringify({ leaderId: r.leaderId, term: r.term })}\n`);
    } catch (err) {
      throw new CliError(`leadership transfer failed: ${(err as Error).message}`, EXIT.failed);
    } finally {
      c.close();
    }
  });
};
