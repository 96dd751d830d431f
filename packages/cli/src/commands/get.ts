import { COLLECTIONS, kindInfo } from "@qonnect/kb";
import type { controlV1 } from "@qonnect/proto";
import { CliError, EXIT, type Io } from "../io.js";
import { type ConnectionFlags, connectionOptions, withClient } from "../kb-connection.js";
import { parseOutput, renderResources } from "../kb-output.js";
import type { Register } from "./index.js";

export function collectionOf(word: string): string {
  const info = kindInfo(word);
  if (!info) throw new CliError(`unknown kind "${word}": use one of ${COLLECTIONS.join(", ")}`, EXIT.usage);
  return info.collection;
}

export function resourceName(collection: string, name: string, namespace?: string): string {
  return namespace && namespace !== "default"
    ? `namespaces/${namespace}/${collection}/${name}`
    : `${collection}/${name}`;
}

export function addOutputOption(cmd: import("commander").Command) {
  return cmd.option("-o, --output <format>", "table | wide | json | yaml", "table");
}

/** `qonnect get KIND [NAME] [-l selector] [-o table|wide|json|yaml]`. */
export const registerGet: Register = (program, io: Io) => {
  connectionOptions(
    addOutputOption(
      program
        .command("get")
        .description(`list or show resources: ${COLLECTIONS.join(", ")}`)
        .argument("<kind>", "collection or kind, e.g. applications, app, devices")
        .argument("[name]", "one resource")
        .option("-l, --selector <selector>", "label selector, e.g. team=a,tier!=edge")
        .option("-n, --namespace <ns>", "namespace (default: all for lists, default for one)")
        .option("--limit <n>", "at most this many (one page)", (v) => Number.parseInt(v, 10)),
    ),
  ).action(
    async (
      kind: string,
      name: string | undefined,
      opts: ConnectionFlags & { output: string; selector?: string; namespace?: string; limit?: number },
    ) => {
      const collection = collectionOf(kind);
      const output = parseOutput(opts.output);
      await withClient(io, opts, async (client) => {
        if (name) {
          const r = await client.get(resourceName(collection, name, opts.namespace));
          renderResources(io, [r.resource!], output, true);
          return;
        }
        const items: controlV1.Resource[] = [];
        let token = "";
        do {
          const page = await client.list({
            collection,
            namespace: opts.namespace ?? "",
            labelSelector: opts.selector ?? "",
            pageSize: opts.limit ? Math.min(opts.limit, 1000) : 500,
            pageToken: token,
          });
          items.push(...page.resources);
          token = opts.limit && items.length >= opts.limit ? "" : page.nextPageToken;
        } while (token);
        renderResources(io, opts.limit ? items.slice(0, opts.limit) : items, output, false);
      });
    },
  );
};
