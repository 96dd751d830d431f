// Runs inside a simulated board's network namespace (`ip netns exec NS node nats-bridge-ns.mjs PORT SOCKET`):
// accepts TCP on 127.0.0.1:PORT and joins every connection to the Unix socket SOCKET, which the rig serves from
// the host's namespace and joins to the region's leafnode. A Unix socket is a file, so it crosses network
// namespaces; nothing is added to the host's network. Plain JavaScript: it starts without a loader.
import net from "node:net";

const [port, socketPath] = process.argv.slice(2);
const server = net.createServer((inbound) => {
  const outbound = net.connect(socketPath);
  inbound.pipe(outbound);
  outbound.pipe(inbound);
  const close = () => {
    inbound.destroy();
    outbound.destroy();
  };
  inbound.on("error", close);
  outbound.on("error", close);
  inbound.on("close", close);
  outbound.on("close", close);
});
server.listen(Number(port), "127.0.0.1", () => process.stdout.write("listening\n"));
for (const s of ["SIGTERM", "SIGINT"]) process.on(s, () => process.exit(0));
