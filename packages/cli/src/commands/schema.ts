import { jsonSchema, KIND_NAMES, type Manifest } from "@qonnect/core";
import { CliError, EXIT } from "../io.js";
import type { Register } from "./index.js";

export const registerSchema: Register = (program, io) => {
  program
    .command("schema")
    .description(
      "print the JSON Schema of a kind (or of all kinds) for editors with the YAML language server",
    )
    .argument("[kind]", `one of ${KIND_NAMES.join(", ")}`)
    .action((kind?: string) => {
      if (kind !== undefined && !KIND_NAMES.includes(kind as Manifest["kind"]))
        throw new CliError(`unknown kind "${kind}"; choose one of ${KIND_NAMES.join(", ")}`, EXIT.usage);
      io.out(`${JSON.stringify(jsonSchema(kind as Manifest["kind"] | undefined), null, 2)}\n`);
    });
};
