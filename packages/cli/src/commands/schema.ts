import { jsonSchema, kindNames } from "@qonnect/core";
import { CliError, EXIT } from "../io.js";
import type { Register } from "./index.js";

export const registerSchema: Register = (program, io) => {
  program
    .command("schema")
    .description(
      "print the JSON Schema of a kind (or of all kinds) for editors with the YAML language server",
    )
    .argument("[kind]", "Application, Job, Inventory, Microgrid, ... (default: all)")
    .action((kind?: string) => {
      // read the kinds now, after every command has registered the kinds it brings
      const known = kindNames();
      if (kind !== undefined && !known.includes(kind))
        throw new CliError(`unknown kind "${kind}"; choose one of ${known.join(", ")}`, EXIT.usage);
      io.out(`${JSON.stringify(jsonSchema(kind), null, 2)}\n`);
    });
};
