import { readFile } from "node:fs/promises";
import { type Document, LineCounter, parseAllDocuments } from "yaml";
import type { z } from "zod";
import { didYouMean } from "../suggest.js";
import { ARCH_ALIASES } from "./common.js";
import {
  type ExtensionManifest,
  KINDS,
  kindNames,
  knownKeysAt,
  type Manifest,
  registeredKind,
} from "./kinds.js";
import { type Path, positionOf } from "./positions.js";

/** One problem in one file, positioned at the offending key or value. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  /** Dotted path inside the document, e.g. `spec.services[1].resources.cpu`. */
  path: string;
}

/** A document that passed validation. */
export interface ValidDocument {
  file: string;
  /** 0-based index of the document in its file (documents are `---` separated). */
  index: number;
  line: number;
  manifest: Manifest;
}

/** A document of a kind registered from another package (see `registerKind`) that passed validation. */
export interface ExtensionDocument {
  file: string;
  index: number;
  line: number;
  manifest: ExtensionManifest;
}

export interface ValidationResult {
  ok: boolean;
  /** Documents of the kinds built into core. */
  documents: ValidDocument[];
  /** Documents of registered kinds (e.g. Microgrid from @qonnect/energy). */
  extensions: ExtensionDocument[];
  diagnostics: Diagnostic[];
}

/** `file:line:col: message`, the form editors and CI logs link to. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

function dotted(path: Path): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg),
    "",
  );
}

function hasPath(doc: Document, path: Path): boolean {
  return doc.hasIn(path as (string | number)[]);
}

/** Turns one zod issue into a message a person can act on. */
function describeIssue(
  issue: z.core.$ZodIssue,
  doc: Document,
  schema: z.ZodType,
): { message: string; atKey: boolean } {
  const path = issue.path as Path;
  const last = path[path.length - 1];
  const field =
    typeof last === "number" ? `${String(path[path.length - 2] ?? "")}[${last}]` : String(last ?? "document");
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeysAt(schema, path);
      const key = issue.keys[0] ?? "";
      return {
        message: `unknown field "${key}"${didYouMean(key, known)}${known.length ? `; allowed here: ${known.join(", ")}` : ""}`,
        atKey: true,
      };
    }
    case "invalid_type":
      if (!hasPath(doc, path)) return { message: `missing required field "${field}"`, atKey: false };
      return { message: `${field}: ${issue.message.replace(/^Invalid input: /, "")}`, atKey: false };
    case "invalid_value": {
      const got = doc.getIn(path as (string | number)[]);
      const allowed = issue.values.map(String);
      const alias =
        typeof got === "string" && allowed.includes("arm64") ? ARCH_ALIASES[got.toLowerCase()] : undefined;
      const hint = alias
        ? ` (did you mean "${alias}"? Kubernetes calls ${got} ${alias})`
        : typeof got === "string"
          ? didYouMean(got, allowed)
          : "";
      if (!hasPath(doc, path)) return { message: `missing required field "${field}"`, atKey: false };
      return {
        message: `${field}: ${JSON.stringify(got)} is not one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}${hint}`,
        atKey: false,
      };
    }
    default:
      if (!hasPath(doc, path)) return { message: `missing required field "${field}"`, atKey: false };
      return {
        message: issue.message.startsWith(String(last)) ? issue.message : `${field}: ${issue.message}`,
        atKey: false,
      };
  }
}

function validateDocument(doc: Document, lines: LineCounter, file: string, index: number): ValidationResult {
  const diagnostics: Diagnostic[] = [];
  const at = (path: Path, message: string, atKey = false) => {
    const pos = positionOf(doc, lines, path, atKey);
    diagnostics.push({ file, line: pos.line, col: pos.col, message, path: dotted(path) });
  };
  const fail = (): ValidationResult => ({
    ok: false,
    documents: [],
    extensions: [],
    diagnostics: diagnostics.sort((a, b) => a.line - b.line || a.col - b.col),
  });

  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) return { ok: true, documents: [], extensions: [], diagnostics }; // empty document
  if (typeof value !== "object" || Array.isArray(value)) {
    at([], "a manifest must be a mapping with apiVersion, kind, metadata and spec");
    return fail();
  }
  const kind = (value as Record<string, unknown>).kind;
  if (kind === undefined) {
    at([], `missing required field "kind" (one of ${kindNames().join(", ")})`);
    return fail();
  }
  const builtIn = typeof kind === "string" && kind in KINDS;
  const extension = typeof kind === "string" && !builtIn ? registeredKind(kind) : undefined;
  if (!builtIn && !extension) {
    const names = kindNames();
    at(
      ["kind"],
      `unknown kind ${JSON.stringify(kind)}${didYouMean(String(kind), names)}; qonnect reads ${names.join(", ")}`,
    );
    return fail();
  }
  const entry = builtIn
    ? KINDS[kind as Manifest["kind"]]
    : { schema: extension!.schema, check: extension!.check ?? (() => []) };
  const parsed = entry.schema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const { message, atKey } = describeIssue(issue, doc, entry.schema);
      const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
      at(path as Path, message, atKey);
      // zod reports one unknown-key issue per object; give every extra key its own line.
      if (issue.code === "unrecognized_keys")
        for (const key of issue.keys.slice(1)) {
          const known = knownKeysAt(entry.schema, issue.path as Path);
          at([...(issue.path as Path), key], `unknown field "${key}"${didYouMean(key, known)}`, true);
        }
    }
    // Report broken references too, so one run shows every error; the checks are written for valid
    // input, so on a document that failed its schema they run best-effort.
    try {
      for (const issue of entry.check(value as never)) at(issue.path, issue.message);
    } catch {
      // the schema errors above already say what to fix first
    }
    return fail();
  }
  for (const issue of entry.check(parsed.data as never)) at(issue.path, issue.message);
  if (diagnostics.length) return fail();
  const line = positionOf(doc, lines, []).line;
  if (!builtIn)
    return {
      ok: true,
      documents: [],
      extensions: [{ file, index, line, manifest: parsed.data as ExtensionManifest }],
      diagnostics,
    };
  return {
    ok: true,
    documents: [{ file, index, line, manifest: parsed.data as Manifest }],
    extensions: [],
    diagnostics,
  };
}

/**
 * Validates every `---` separated document of a YAML text and reports every error at once. Never throws:
 * anything wrong with the input becomes a positioned diagnostic.
 */
/**
 * Bounds on manifest input: a real manifest is a few KiB; a 4 MB document took 14 s and 2 GB to validate.
 * Bigger files, more documents, deeper nesting or more aliases are refused with one diagnostic.
 */
export const MANIFEST_LIMITS = {
  maxBytes: 1024 * 1024,
  maxDocuments: 100,
  maxDepth: 64,
  maxDiagnostics: 500,
} as const;

/** The deepest nesting of flow/block collections, counted on the text (cheap, before parsing). */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123)
      max = Math.max(max, ++depth); // [ {
    else if ((c === 93 || c === 125) && depth > 0) depth--; // ] }
  }
  let indentMax = 0;
  for (const m of text.matchAll(/^( *)\S/gm)) indentMax = Math.max(indentMax, m[1]?.length ?? 0);
  return Math.max(max, Math.floor(indentMax / 2));
}

export function validateText(text: string, file = "<stdin>"): ValidationResult {
  const lines = new LineCounter();
  const result: ValidationResult = { ok: true, documents: [], extensions: [], diagnostics: [] };
  const refuse = (message: string) => {
    result.ok = false;
    result.diagnostics.push({ file, line: 1, col: 1, message, path: "" });
    return result;
  };
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MANIFEST_LIMITS.maxBytes)
    return refuse(
      `the file is ${bytes} bytes; a manifest file may hold at most ${MANIFEST_LIMITS.maxBytes} (split it into several files)`,
    );
  if (nestingDepth(text) > MANIFEST_LIMITS.maxDepth)
    return refuse(`nesting deeper than ${MANIFEST_LIMITS.maxDepth} levels; no manifest field is that deep`);
  let docs: Document[];
  try {
    docs = parseAllDocuments(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
    }) as Document[];
    if (!Array.isArray(docs)) docs = [];
    if (docs.length > MANIFEST_LIMITS.maxDocuments)
      return refuse(`${docs.length} documents in one file; at most ${MANIFEST_LIMITS.maxDocuments}`);
  } catch (err) {
    result.ok = false;
    result.diagnostics.push({
      file,
      line: 1,
      col: 1,
      message: `cannot parse YAML: ${(err as Error).message}`,
      path: "",
    });
    return result;
  }
  docs.forEach((doc, index) => {
    if (doc.errors.length) {
      for (const err of doc.errors) {
        const pos = lines.linePos(err.pos[0]);
        const message = err.message.split("\n")[0] ?? err.message;
        result.diagnostics.push({
          file,
          line: pos.line,
          col: pos.col,
          message: `YAML: ${message}`,
          path: "",
        });
      }
      result.ok = false;
      return;
    }
    let one: ValidationResult;
    try {
      one = validateDocument(doc, lines, file, index);
    } catch (err) {
      const pos = lines.linePos(doc.contents?.range?.[0] ?? 0);
      one = {
        ok: false,
        documents: [],
        extensions: [],
        diagnostics: [
          {
            file,
            line: pos.line,
            col: pos.col,
            message: `cannot read document: ${(err as Error).message}`,
            path: "",
          },
        ],
      };
    }
    result.ok &&= one.ok;
    result.documents.push(...one.documents);
    result.extensions.push(...one.extensions);
    result.diagnostics.push(...one.diagnostics);
  });
  if (result.diagnostics.length > MANIFEST_LIMITS.maxDiagnostics) {
    const more = result.diagnostics.length - MANIFEST_LIMITS.maxDiagnostics;
    result.diagnostics.length = MANIFEST_LIMITS.maxDiagnostics;
    result.diagnostics.push({ file, line: 1, col: 1, message: `${more} more problems not shown`, path: "" });
  }
  return result;
}

/** A manifest file that could not be read at all (missing, a directory, no permission). */
export class ManifestFileError extends Error {
  override name = "ManifestFileError";
  constructor(
    readonly file: string,
    options: { cause: unknown },
  ) {
    super(
      `cannot read ${file}: ${(options.cause as NodeJS.ErrnoException).code ?? (options.cause as Error).message}`,
      options,
    );
  }
}

/** Manifests that did not validate; `diagnostics` holds every problem, the message lists them. */
export class ManifestError extends Error {
  override name = "ManifestError";
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
  }
}

/** Reads and validates one file; throws {@link ManifestFileError} when it cannot be read. */
export async function validateFile(file: string): Promise<ValidationResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ManifestFileError(file, { cause });
  }
  return validateText(text, file);
}

/** Reads, validates and returns the manifests of the files, or throws {@link ManifestError} listing every problem. */
export async function loadManifests(...files: string[]): Promise<ValidDocument[]> {
  const documents: ValidDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    const result = await validateFile(file);
    documents.push(...result.documents);
    diagnostics.push(...result.diagnostics);
  }
  if (diagnostics.length) throw new ManifestError(diagnostics);
  return documents;
}
