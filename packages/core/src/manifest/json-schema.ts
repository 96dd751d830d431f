import { z } from "zod";
import { KINDS, kindNames, type Manifest, registeredKind } from "./kinds.js";

function schemaOf(kind: string): z.ZodType | undefined {
  return kind in KINDS ? KINDS[kind as Manifest["kind"]].schema : registeredKind(kind)?.schema;
}

/**
 * JSON Schema (draft 2020-12) of one kind, or of every kind (built-in and registered) as `anyOf`, for
 * editors with the YAML language server (`# yaml-language-server: $schema=...`). Describes what a person
 * writes (defaults are optional). Throws for a kind nobody defined.
 */
export function jsonSchema(kind?: string): Record<string, unknown> {
  const of = (k: string) => {
    const schema = schemaOf(k);
    if (!schema) throw new Error(`unknown kind "${k}"; known kinds: ${kindNames().join(", ")}`);
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  };
  if (kind) return { title: `qonnect ${kind}`, ...of(kind) };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "qonnect manifest",
    anyOf: kindNames().map((k) => {
      const { $schema: _drop, ...rest } = of(k);
      return rest;
    }),
  };
}
