import { EXIT } from "../io.js";
import { type ConnectionFlags, connectionOptions, withClient } from "../kb-connection.js";
import { collectionOf, resourceName } from "./get.js";
import type { Register } from "./index.js";

/** `qonnect delete KIND NAME [--etag E]`. */
export const registerDelete: Register = (program, io, outcome) => {
  connectionOptions(
    program
      .command("delete")
      .description("delete a resource from the Knowledge Base")
      .argument("<kind>", "collection or kind")
      .argument("<name>", "resource name")
      .option("-n, --namespace <ns>", "namespace", "default")
      .option("--etag <etag>", "only if the resource's etag is still this"),
  ).action(
    async (kind: string, name: string, opts: ConnectionFlags & { namespace: string; etag?: string }) => {
      const collection = collectionOf(kind);
      await withClient(io, opts, async (client) => {
        await client.delete(resourceName(collection, name, opts.namespace), opts.etag ?? "");
        io.out(`${collection}/${name} deleted\n`);
      });
      outcome.exitCode = EXIT.ok;
    },
  );
};
