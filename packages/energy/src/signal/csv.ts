// A small CSV reader for trace files: header row, comma separated, RFC 4180 quotes, CRLF or LF.
import { SignalError } from "./signal.js";

/** A parsed CSV table: header names and the rows as strings. */
export interface CsvTable {
  header: string[];
  rows: string[][];
}

function splitLine(line: string): string[] {
  if (!line.includes('"')) return line.split(",");
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseCsv(text: string, source?: string): CsvTable {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  while (lines.length && lines[lines.length - 1]!.trim() === "") lines.pop();
  const first = lines.shift();
  if (first === undefined) throw new SignalError("empty CSV", source);
  return {
    header: splitLine(first).map((h) => h.trim()),
    rows: lines.filter((l) => l.trim()).map(splitLine),
  };
}

/** Index of `name` in the header, or a {@link SignalError} that lists the columns there are. */
export function columnIndex(table: CsvTable, name: string, source?: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) throw new SignalError(`no column "${name}"; columns: ${table.header.join(", ")}`, source);
  return i;
}

/**
 * A timestamp cell: ISO 8601 or `YYYY-MM-DD HH:MM:SS` (taken as UTC when it has no zone), → Unix ms.
 */
export function parseTimestampMs(cell: string, source?: string, row?: number): number {
  let s = cell.trim();
  if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s = `${s.replace(" ", "T")}Z`;
  else if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s = `${s}T00:00:00Z`;
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw new SignalError(`row ${row ?? "?"}: cannot read timestamp "${cell}"`, source);
  return ms;
}

export function parseNumber(cell: string | undefined, source?: string, row?: number): number {
  const v = Number(cell?.trim());
  if (cell === undefined || cell.trim() === "" || !Number.isFinite(v))
    throw new SignalError(`row ${row ?? "?"}: "${cell ?? ""}" is not a number`, source);
  return v;
}
