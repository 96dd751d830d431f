import { z } from "zod";
import { KINDS, type Manifest } from "./kinds.js";

/**
 * JSON Schema (draft 2020-12) of one kind, or of all kinds as `anyOf`, for editors with the YAML language
 * server (`# yaml-language-server: $schema=...`). Describes what a person writes (defaults are optional).
 */
export function jsonSchema(kind?: Manifest["kind"]): Record<string, unknown> {
  const of = (k: Manifest["kind"]) =>
    z.toJSONSchema(KINDS[k].schema, { io: "input", unrepresentable: "any" });
  if (kind) return { title: `qonnect ${kind}`, ...of(kind) };
  const kinds = Object.keys(KINDS) as Manifest["kind"][];
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "qonnect manifest",
    anyOf: kinds.map((k) => {
      const { $schema: _drop, ...rest } = of(k) as Record<string, unknown>;
      return rest;
    }),
  };
}
