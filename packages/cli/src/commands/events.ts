import type { controlV1 } from "@qonnect/proto";
import { CliError, EXIT, type Io } from "../io.js";
import { type ConnectionFlags, connectionOptions, withClient } from "../kb-connection.js";
import { table } from "../table.js";
import type { Register } from "./index.js";

const line = (e: { timeMs: number; type: string; reason: string; object: string; message: string }) =>
  [new Date(e.timeMs).toISOString(), e.type, e.reason, e.object || "-", e.message] as (string | number)[];

/** `qonnect events [--for KIND/NAME] [--watch]`. */
export const registerEvents: Register = (program, io: Io) => {
  connectionOptions(
    program
      .command("events")
      .description("what happened and why: applies, plans, moves, dead devices, refused callers")
      .option("--for <object>", "only events about one resource, e.g. applications/bookinfo")
      .option("-w, --watch", "keep printing new events (Ctrl-C to stop)")
      .option("--count <n>", "with --watch: stop after this many new events", (v) => Number.parseInt(v, 10))
      .option("--json", "one JSON document (without --watch), or one JSON object per line (with --watch)"),
  ).action(
    async (opts: ConnectionFlags & { for?: string; watch?: boolean; count?: number; json?: boolean }) => {
      if (opts.count !== undefined && !(opts.count > 0))
        throw new CliError("--count must be > 0", EXIT.usage);
      await withClient(io, opts, async (client) => {
        const events: controlV1.Event[] = [];
        let token = "";
        do {
          const page = await client.listEvents({ object: opts.for ?? "", pageSize: 1000, pageToken: token });
          events.push(...page.events);
          token = page.nextPageToken;
        } while (token);
        if (!opts.watch) {
          if (opts.json) io.out(`${JSON.stringify({ events })}\n`);
          else if (events.length === 0) io.err("no events\n");
          else io.out(table(["TIME", "TYPE", "REASON", "OBJECT", "MESSAGE"], events.map(line)));
          return;
        }
        for (const e of events) io.out(opts.json ? `${JSON.stringify(e)}\n` : `${line(e).join("  ")}\n`);
        const from = Math.max(0, ...events.map((e) => e.resourceVersion));
        const head = from || (await client.list({ collection: "events", pageSize: 1 })).resourceVersion;
        let seen = 0;
        const stream = client.watch({ collection: "events", resourceVersion: head });
        const stop = () => stream.cancel();
        process.once("SIGINT", stop);
        try {
          for await (const ev of stream) {
            if (ev.type !== 1 || !ev.resource) continue;
            const s = ev.resource.spec as {
              timeMs: number;
              type: string;
              reason: string;
              object: string;
              message: string;
            };
            if (opts.for && s.object !== opts.for) continue;
            io.out(
              opts.json
                ? `${JSON.stringify({ ...s, name: ev.resource.metadata?.name, resourceVersion: ev.resourceVersion })}\n`
                : `${line(s).join("  ")}\n`,
            );
            if (opts.count && ++seen >= opts.count) break;
          }
        } finally {
          process.off("SIGINT", stop);
        }
      });
    },
  );
};
