// Errors the control API returns, transport-independent; gRPC and REST map the code to their status.
import type { Diagnostic } from "@qonnect/core";

export type ApiCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "ABORTED"
  | "OUT_OF_RANGE"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "FAILED_PRECONDITION"
  | "UNAVAILABLE"
  | "INTERNAL";

export interface Problem {
  file: string;
  line: number;
  column: number;
  message: string;
  path: string;
}

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly code: ApiCode,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }
}

export function problemsOf(diagnostics: readonly Diagnostic[]): Problem[] {
  return diagnostics.map((d) => ({
    file: d.file,
    line: d.line,
    column: d.col,
    message: d.message,
    path: d.path,
  }));
}

/** HTTP status per code (AIP-193's table). */
export const HTTP_STATUS: Record<ApiCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  OUT_OF_RANGE: 410,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  FAILED_PRECONDITION: 412,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};
