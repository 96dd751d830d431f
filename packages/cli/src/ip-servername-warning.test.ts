// In a process of its own (the filter patches process.emitWarning): a real TLS dial of an IP with that IP as
// the server name, Node's DEP0123 case, prints nothing, while other warnings still reach stderr.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const filter = fileURLToPath(new URL("./ip-servername-warning.ts", import.meta.url));

const script = (quiet: boolean) => `
  import { connect } from "node:tls";
  import { createServer } from "node:net";
  ${quiet ? `const { quietIpServerNameWarning } = await import(${JSON.stringify(filter)}); quietIpServerNameWarning();` : ""}
  const server = createServer((s) => s.destroy()).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const socket = connect({ host: "127.0.0.1", port: server.address().port, servername: "127.0.0.1" });
  await new Promise((r) => { socket.once("error", r); socket.once("close", r); });
  process.emitWarning("still shown", "DeprecationWarning", "DEP0999");
  server.close();
`;

function stderrOf(quiet: boolean): string {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script(quiet)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`the child failed (${r.status}): ${r.stderr}`);
  return r.stderr;
}

describe("the IP server-name warning filter (child processes, real TLS dial)", () => {
  it("drops DEP0123 and nothing else", () => {
    // without the filter Node prints it: the case is real
    expect(stderrOf(false)).toMatch(/DEP0123/);
    const quiet = stderrOf(true);
    expect(quiet).not.toMatch(/DEP0123/);
    expect(quiet).toMatch(/\[DEP0999\] DeprecationWarning: still shown/);
  });
});
