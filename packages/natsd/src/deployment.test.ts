import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, StringCodec } from "nats";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type NatsDeployment, startNatsDeployment } from "./deployment.js";

// The deployment of infra/nats as it is: three cloud servers with JetStream, one leafnode server per region.
describe("startNatsDeployment (real nats-servers from infra/nats)", () => {
  let deployment: NatsDeployment;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "qonnect-natsdep-"));
    deployment = await startNatsDeployment({ regions: ["eu-central", "eu-north"], dir });
  }, 60_000);
  afterAll(async () => {
    await deployment?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("carries a region's messages to the cloud and keeps regions apart in their own JetStream domains", async () => {
    const leaf = await connect({ servers: deployment.leaves["eu-central"]?.url });
    const cloud = await connect({ servers: deployment.cloudUrls() });
    try {
      const sc = StringCodec();
      const got: string[] = [];
      const sub = cloud.subscribe("qonnect.eu-central.telemetry.>", {
        callback: (_e, m) => got.push(m.subject),
      });
      await cloud.flush();
      // the leafnode connection and its subscription interest propagate asynchronously
      await vi.waitFor(
        async () => {
          leaf.publish("qonnect.eu-central.telemetry.pi-a", sc.encode("1"));
          await leaf.flush();
          expect(got.length).toBeGreaterThan(0);
        },
        { timeout: 20_000, interval: 200 },
      );
      sub.unsubscribe();

      // a fresh JetStream cluster elects its meta leader first: API calls time out until then, so retry
      const retry = { timeout: 30_000, interval: 500 };
      const jsmLeaf = await vi.waitFor(() => leaf.jetstreamManager(), retry);
      await vi.waitFor(
        () => jsmLeaf.streams.add({ name: "T_DEPTEST", subjects: ["qonnect.eu-central.telemetry.>"] }),
        retry,
      );
      const jsmCloud = await vi.waitFor(() => cloud.jetstreamManager({ domain: "cloud" }), retry);
      await vi.waitFor(
        () =>
          jsmCloud.streams.add({
            name: "T_DEPTEST_eu-central",
            sources: [{ name: "T_DEPTEST", external: { api: "$JS.eu-central.API", deliver: "" } }],
          }),
        retry,
      );
      const js = leaf.jetstream();
      for (let i = 0; i < 5; i++)
        await js.publish(`qonnect.eu-central.telemetry.pi-${i}`, sc.encode(String(i)));
      await vi.waitFor(
        async () => expect((await jsmCloud.streams.info("T_DEPTEST_eu-central")).state.messages).toBe(5),
        { timeout: 20_000, interval: 200 },
      );
      // the other region's domain holds no such stream
      const other = await connect({ servers: deployment.leaves["eu-north"]?.url });
      try {
        const jsmOther = await other.jetstreamManager();
        await expect(jsmOther.streams.info("T_DEPTEST")).rejects.toThrow();
      } finally {
        await other.close();
      }
    } finally {
      await leaf.close();
      await cloud.close();
    }
  }, 60_000);

  it("survives the loss of one cloud server: clients stay connected and messages keep flowing", async () => {
    const victim = deployment.cloud[0];
    if (!victim) throw new Error("no cloud server");
    // connected to the very server that is lost, so the client has to move to another one
    const cloud = await connect({
      servers: deployment.cloudUrls(),
      noRandomize: true,
      reconnectTimeWait: 100,
    });
    const leaf = await connect({ servers: deployment.leaves["eu-north"]?.url });
    try {
      await victim.stop("SIGKILL");
      expect(victim.pid()).toBeUndefined();
      const got: string[] = [];
      cloud.subscribe("qonnect.eu-north.summary", { callback: (_e, m) => got.push(m.subject) });
      await vi.waitFor(
        async () => {
          await cloud.flush(); // throws while the client is between servers; waitFor tries again
          leaf.publish("qonnect.eu-north.summary");
          await leaf.flush();
          expect(got.length).toBeGreaterThan(0);
        },
        { timeout: 30_000, interval: 250 },
      );
      expect(cloud.isClosed()).toBe(false);
    } finally {
      await victim.start();
      await leaf.close();
      await cloud.close();
    }
  }, 60_000);
});
