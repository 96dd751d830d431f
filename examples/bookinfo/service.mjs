// A stand-in for one Bookinfo service under the process runtime: answers on $PORT (default 9080) and, per
// request, calls the services named in $QONNECT_CALLS ("name=host:port,..."), returning what they said.
import http from "node:http";

const port = Number(process.env.PORT ?? 9080);
const name = process.env.QONNECT_SERVICE ?? "service";
const calls = (process.env.QONNECT_CALLS ?? "")
  .split(",")
  .filter(Boolean)
  .map((entry) => {
    const [service, address] = entry.split("=");
    return { service, address };
  });

function get(address) {
  return new Promise((resolve) => {
    const req = http.get(`http://${address}/`, { timeout: 2000 }, (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve(body));
    });
    req.on("error", (err) => resolve(JSON.stringify({ error: err.message })));
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}

http
  .createServer(async (_req, res) => {
    const downstream = {};
    for (const call of calls) downstream[call.service] = JSON.parse((await get(call.address)) || "null");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ service: name, pid: process.pid, downstream }));
  })
  .listen(port, "127.0.0.1", () => console.log(`${name} listening on 127.0.0.1:${port}`));
