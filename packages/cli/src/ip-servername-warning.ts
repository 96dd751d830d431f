// Node's http2 client (under @grpc/grpc-js) sets the TLS server name to the target host even when that is an
// IP address (nodejs/node#56189), and Node then prints DEP0123 ("Setting the TLS ServerName to an IP address
// is not permitted by RFC 6066"). qonnect dials fog leads and the Knowledge Base by IP, its certificates name
// those IPs, and verification is by the IP, so the warning tells the user nothing they can act on: this
// drops that one warning and passes every other one through.
type EmitWarning = (warning: string | Error, ...rest: unknown[]) => void;

/** The code of a warning as process.emitWarning receives it: (w, type, code) or (w, { code }). */
function codeOf(rest: unknown[]): unknown {
  const [first, second] = rest;
  return typeof first === "object" && first !== null ? (first as { code?: unknown }).code : second;
}

export function quietIpServerNameWarning(): void {
  const emit = process.emitWarning.bind(process) as EmitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (codeOf(rest) === "DEP0123") return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
