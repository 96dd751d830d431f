// The one suite every Store implementation passes (SQLite and PostgreSQL). Called from each
// implementation's test file with a factory that opens a fresh, empty store.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseSelector } from "./selector.js";
import { CompactedError, EtagMismatchError, NotFoundError, type Store } from "./store.js";

export interface StoreFactory {
  /** A fresh, empty store. */
  open(): Promise<Store>;
  /** The same data opened again (after close), as a restarted server would. */
  reopen(): Promise<Store>;
  cleanup(): Promise<void>;
}

const app = (name: string, spec: unknown = { replicas: 1 }, labels: Record<string, string> = {}) => ({
  kind: "Application",
  namespace: "default",
  name,
  labels,
  spec,
});

export function storeSuite(name: string, factory: () => StoreFactory): void {
  describe(`${name} store (shared suite)`, () => {
    let f: StoreFactory;
    let store: Store;
    beforeEach(async () => {
      f = factory();
      store = await f.open();
    });
    afterEach(async () => {
      await store.close();
      await f.cleanup();
    });

    it("creates with generation 1, takes a new version per change, none for an identical write", async () => {
      const a = await store.put(app("web"), { nowMs: 1000 });
      expect(a.created).toBe(true);
      expect(a.resource.generation).toBe(1);
      const same = await store.put(app("web"), { nowMs: 2000 });
      expect(same.changed).toBe(false);
      expect(same.resource.resourceVersion).toBe(a.resource.resourceVersion);
      const b = await store.put(app("web", { replicas: 2 }), { nowMs: 3000 });
      expect(b.created).toBe(false);
      expect(b.resource.generation).toBe(2);
      expect(b.resource.resourceVersion).toBeGreaterThan(a.resource.resourceVersion);
      expect(b.resource.etag).not.toBe(a.resource.etag);
      expect(b.resource.createTimeMs).toBe(1000);
      expect(await store.headVersion()).toBe(b.resource.resourceVersion);
    });

    it("stores text with quotes, backslashes, placeholders and non-ASCII exactly as given", async () => {
      const tricky = `it's a \\ back'slash; $1 $$ E'x' -- ); DROP TABLE resources; 日本 🌞 \u00e9`;
      const put = await store.put(
        app("quoting", { note: tricky, nested: { [tricky]: [tricky] } }, { note: "a'b" }),
        {
          nowMs: 1,
        },
      );
      const got = await store.get(app("quoting"));
      expect(got?.spec).toEqual({ note: tricky, nested: { [tricky]: [tricky] } });
      expect(got?.labels).toEqual({ note: "a'b" });
      expect(got?.etag).toBe(put.resource.etag);
      const [change] = await store.changes(put.resource.resourceVersion - 1, 1);
      expect((change?.resource.spec as { note: string } | undefined)?.note).toBe(tricky);
      expect((await store.list("Application", {})).items.map((r) => r.name)).toEqual(["quoting"]);
    });

    it("changes the status without a new generation or etag", async () => {
      const a = await store.put(app("web"), { nowMs: 1 });
      const s = await store.putStatus(app("web"), { phase: "Planned" }, 2);
      expect(s.generation).toBe(1);
      expect(s.etag).toBe(a.resource.etag);
      expect(s.resourceVersion).toBeGreaterThan(a.resource.resourceVersion);
      expect((await store.get(app("web")))?.status).toEqual({ phase: "Planned" });
      await expect(store.putStatus(app("nope"), {}, 3)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("compare-and-set: of two writers holding the same etag one wins, the other is refused", async () => {
      const a = await store.put(app("web"), { nowMs: 1 });
      const results = await Promise.allSettled([
        store.put(app("web", { replicas: 2 }), { etag: a.resource.etag, nowMs: 2 }),
        store.put(app("web", { replicas: 3 }), { etag: a.resource.etag, nowMs: 2 }),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(EtagMismatchError);
      const stored = await store.get(app("web"));
      expect(stored?.spec).toEqual(
        (won[0] as PromiseFulfilledResult<{ resource: { spec: unknown } }>).value.resource.spec,
      );
      // an etag for a resource that does not exist is a mismatch too
      await expect(store.put(app("new"), { etag: "x.1", nowMs: 3 })).rejects.toBeInstanceOf(
        EtagMismatchError,
      );
    });

    it("deletes (with an etag check); a re-created resource has a different etag", async () => {
      const a = await store.put(app("web"), { nowMs: 1 });
      await expect(store.delete(app("web"), { etag: "stale.9", nowMs: 2 })).rejects.toBeInstanceOf(
        EtagMismatchError,
      );
      const d = await store.delete(app("web"), { etag: a.resource.etag, nowMs: 2 });
      expect(d.resourceVersion).toBeGreaterThan(a.resource.resourceVersion);
      expect(await store.get(app("web"))).toBeUndefined();
      await expect(store.delete(app("web"), { nowMs: 3 })).rejects.toBeInstanceOf(NotFoundError);
      const again = await store.put(app("web"), { nowMs: 4 });
      expect(again.created).toBe(true);
      expect(again.resource.etag).not.toBe(a.resource.etag);
    });

    it("pages through thousands of items in name order, each once, with and without a selector", async () => {
      const n = 2500;
      const names = Array.from({ length: n }, (_, i) => `app-${String(i).padStart(5, "0")}`);
      // in parallel batches, as concurrent clients would write
      for (let i = 0; i < n; i += 250)
        await Promise.all(
          names
            .slice(i, i + 250)
            .map((x, k) =>
              store.put(app(x, { i: i + k }, { parity: (i + k) % 2 ? "odd" : "even" }), { nowMs: 1 }),
            ),
        );
      const seen: string[] = [];
      let token = "";
      let pages = 0;
      do {
        const page = await store.list("Application", { pageSize: 300, pageToken: token });
        seen.push(...page.items.map((r) => r.name));
        token = page.nextPageToken;
        pages++;
      } while (token);
      expect(seen).toEqual(names);
      expect(pages).toBe(Math.ceil(n / 300));
      const odd: string[] = [];
      token = "";
      do {
        const page = await store.list("Application", {
          pageSize: 97,
          pageToken: token,
          selector: parseSelector("parity=odd"),
        });
        odd.push(...page.items.map((r) => r.name));
        token = page.nextPageToken;
      } while (token);
      expect(odd).toEqual(names.filter((_, i) => i % 2 === 1));
      expect((await store.list("Job")).items).toEqual([]);
    }, 120_000);

    it("the watch log holds every change in version order, contiguous under concurrent writers", async () => {
      const start = await store.headVersion();
      await Promise.all(Array.from({ length: 40 }, (_, i) => store.put(app(`a${i}`), { nowMs: i })));
      await store.putStatus(app("a1"), { ok: true }, 50);
      await store.delete(app("a2"), { nowMs: 51 });
      const changes = await store.changes(start, 1000);
      expect(changes).toHaveLength(42);
      expect(changes.map((c) => c.resourceVersion)).toEqual(
        Array.from({ length: 42 }, (_, i) => start + i + 1),
      );
      expect(changes.slice(0, 40).every((c) => c.type === "ADDED")).toBe(true);
      expect(changes[40]?.type).toBe("MODIFIED");
      expect(changes[41]).toMatchObject({ type: "DELETED", resource: { name: "a2" } });
      // resuming from the middle gives exactly the rest
      const rest = await store.changes(changes[19]!.resourceVersion, 1000);
      expect(rest.map((c) => c.resourceVersion)).toEqual(changes.slice(20).map((c) => c.resourceVersion));
      expect(await store.changes(start, 5)).toHaveLength(5);
    });

    it("commits groups submitted together in one batch; a group whose precondition fails is left out alone", async () => {
      const a = await store.put(app("web"), { nowMs: 1 });
      const start = await store.headVersion();
      const event = (name: string) => ({
        op: "create" as const,
        input: { kind: "Event", namespace: "default", name, spec: { about: name } },
      });
      // submitted in one turn: they share a transaction (group commit)
      const results = await Promise.allSettled([
        store.commit({
          nowMs: 2,
          ops: [{ op: "put", input: app("web", { replicas: 2 }), etag: a.resource.etag }],
          followUp: ([o]) => [event(`applied-${o?.resource?.generation}`)],
        }),
        // the same stale etag, after the first group changed it: refused, its event with it
        store.commit({
          nowMs: 2,
          ops: [{ op: "put", input: app("web", { replicas: 3 }), etag: a.resource.etag }],
          followUp: () => [event("never")],
        }),
        store.commit({ nowMs: 2, ops: [{ op: "status", key: app("web"), merge: { phase: "Placed" } }] }),
        store.commit({ nowMs: 2, ops: [{ op: "status", key: app("gone"), merge: { phase: "x" } }] }),
        store.commit({ nowMs: 2, ops: [{ op: "delete", key: app("gone"), ifPresent: true }] }),
        store.commit({ nowMs: 2, ops: [{ op: "delete", key: app("gone") }] }),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        "fulfilled",
        "rejected",
        "fulfilled",
        "fulfilled",
        "fulfilled",
        "rejected",
      ]);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(EtagMismatchError);
      expect((results[5] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
      const web = await store.get(app("web"));
      expect(web).toMatchObject({ spec: { replicas: 2 }, status: { phase: "Placed" }, generation: 2 });
      expect((await store.list("Event")).items.map((e) => e.name)).toEqual(["applied-2"]);
      // the log: the put, its event, the status; contiguous, nothing from the refused groups
      const log = await store.changes(start, 100);
      expect(log.map((c) => [c.resourceVersion - start, c.type, c.resource.name])).toEqual([
        [1, "MODIFIED", "web"],
        [2, "ADDED", "applied-2"],
        [3, "MODIFIED", "web"],
      ]);
      expect(await store.headVersion()).toBe(start + 3);
    });

    it("compaction drops old log entries; resuming from before them is refused", async () => {
      for (let i = 0; i < 20; i++) await store.put(app(`a${i}`), { nowMs: i });
      const head = await store.headVersion();
      await store.compact(5);
      await expect(store.changes(0, 100)).rejects.toBeInstanceOf(CompactedError);
      const tail = await store.changes(head - 5, 100);
      expect(tail).toHaveLength(5);
    });

    it("keeps only the newest events when pruning", async () => {
      for (let i = 0; i < 10; i++)
        await store.put(
          { kind: "Event", namespace: "default", name: `e${String(i).padStart(3, "0")}`, spec: { i } },
          { nowMs: i },
        );
      expect(await store.pruneEvents(4)).toBe(6);
      expect((await store.list("Event")).items.map((e) => e.name)).toEqual(["e006", "e007", "e008", "e009"]);
    });

    it("stores tokens by id and hash, and revokes them", async () => {
      await store.createToken({
        id: "t1",
        hash: "ab",
        role: "operator",
        description: "ci",
        createTimeMs: 1,
        expireTimeMs: 2,
        revoked: false,
      });
      expect(await store.getToken("t1")).toMatchObject({ role: "operator", hash: "ab", revoked: false });
      expect(await store.revokeToken("t1")).toBe(true);
      expect((await store.getToken("t1"))?.revoked).toBe(true);
      expect(await store.getToken("t2")).toBeUndefined();
    });

    it("keeps device samples and reads a time range back in order", async () => {
      await store.addSamples(
        [3, 1, 2].map((k) => ({
          device: "pi",
          tsMs: k * 1000,
          powerW: k,
          energyWh: k * 2,
          solarEnergyWh: 0,
          carbonG: k / 10,
          cost: 0,
          soc: k === 2 ? null : 0.5,
          ...(k === 3 ? { solarExcessW: 1.5 } : {}),
        })),
      );
      const s = await store.series("pi", 1500, 5000, 10);
      expect(s.map((x) => x.tsMs)).toEqual([2000, 3000]);
      expect(s[0]?.soc).toBeNull();
      expect(s[0]?.solarExcessW).toBeNull();
      expect(s[1]).toMatchObject({ powerW: 3, energyWh: 6, solarExcessW: 1.5 });
      // a sample stored again (in a later call, or twice in one) keeps the last one written
      const at = (powerW: number) => ({ ...s[1]!, powerW, solarExcessW: null });
      await store.addSamples([at(7), at(8)]);
      await store.addSamples([at(9)]);
      await store.addSamples([at(10), at(11)]);
      expect((await store.series("pi", 3000, 3000, 10)).map((x) => x.powerW)).toEqual([11]);
    });

    it("keeps each telemetry sample once by (device, seq) and reports the gaps of each device's sequence", async () => {
      const rec = (device: string, seq: number, late = false) => ({
        device,
        seq,
        region: "eu",
        tsMs: 1000 * seq,
        receivedMs: 5000,
        late,
        powerW: seq / 2,
        busVoltageV: 5,
        currentA: 0.1,
        cpuUtil: 0.25,
        memoryUsedBytes: 2 ** 33,
        soc: seq === 2 ? null : 0.5,
        solarExcessW: 0,
      });
      expect(await store.telemetry.add([rec("pi", 1), rec("pi", 2), rec("pi", 4)])).toBe(3);
      // a redelivery of what is stored, with one new sample: only the new one counts, the stored one stays
      expect(await store.telemetry.add([rec("pi", 2, true), rec("pi", 3, true), rec("jet", 7)])).toBe(2);
      const listed = await store.telemetry.list("pi", 1500, 10_000, 10);
      expect(listed.map((r) => [r.seq, r.late])).toEqual([
        [2, false],
        [3, true],
        [4, false],
      ]);
      expect(listed[0]).toMatchObject({ soc: null, memoryUsedBytes: 2 ** 33, region: "eu" });
      expect(await store.telemetry.coverage()).toEqual([
        { device: "jet", count: 1, firstSeq: 7, lastSeq: 7, missing: 0 },
        { device: "pi", count: 4, firstSeq: 1, lastSeq: 4, missing: 0 },
      ]);
      await store.telemetry.add([rec("pi", 9)]);
      expect(await store.telemetry.coverage("pi")).toEqual([
        { device: "pi", count: 5, firstSeq: 1, lastSeq: 9, missing: 4 },
      ]);
    });

    it("rolls telemetry older than a cut-off up into minutes: coverage unchanged, late samples merged into their minute", async () => {
      const rec = (device: string, seq: number, tsMs: number, powerW: number, soc: number | null) => ({
        device,
        seq,
        region: "eu",
        tsMs,
        receivedMs: tsMs + 5,
        late: seq === 3,
        powerW,
        busVoltageV: 5,
        currentA: 0.1,
        cpuUtil: powerW / 10,
        memoryUsedBytes: 1,
        soc,
        solarExcessW: 1,
      });
      // minute 0: seqs 0-2, minute 1: seq 4, after the cut-off (minute 2): seq 5; seq 3 arrives late
      await store.telemetry.add([
        rec("pi", 0, 1_000, 2, 0.9),
        rec("pi", 1, 20_000, 4, 0.8),
        rec("pi", 2, 59_999, 6, null),
        rec("pi", 4, 61_000, 8, 0.7),
        rec("pi", 5, 120_000, 1, 0.6),
        rec("jet", 0, 1_000, 10, null),
      ]);
      expect(await store.telemetry.oldestRawMs()).toBe(1_000);
      const before = await store.telemetry.coverage();
      expect(await store.telemetry.rollUp(120_000)).toBe(5);
      expect(await store.telemetry.coverage()).toEqual(before);
      expect((await store.telemetry.list("pi", 0, 1e9, 100)).map((r) => r.seq)).toEqual([5]);
      expect(await store.telemetry.oldestRawMs()).toBe(120_000);
      const minutes = await store.telemetry.listMinutes("pi", 0, 1e9, 100);
      expect(minutes).toEqual([
        {
          device: "pi",
          minuteMs: 0,
          region: "eu",
          samples: 3,
          lateSamples: 0,
          firstSeq: 0,
          lastSeq: 2,
          powerWMean: 4,
          powerWMax: 6,
          cpuUtilMean: expect.closeTo(0.4, 9),
          socMin: 0.8,
          solarExcessWMean: 1,
        },
        expect.objectContaining({ minuteMs: 60_000, samples: 1, firstSeq: 4, lastSeq: 4, powerWMean: 8 }),
      ]);
      // seq 3 of minute 0 arrives late (a spool replayed after an outage) and is rolled up into that minute
      await store.telemetry.add([rec("pi", 3, 30_000, 12, 0.5)]);
      expect(await store.telemetry.rollUp(120_000)).toBe(1);
      const [m0] = await store.telemetry.listMinutes("pi", 0, 0, 10);
      expect(m0).toMatchObject({
        samples: 4,
        lateSamples: 1,
        firstSeq: 0,
        lastSeq: 3,
        powerWMax: 12,
        socMin: 0.5,
      });
      expect(m0!.powerWMean).toBeCloseTo((2 + 4 + 6 + 12) / 4, 9);
      expect(await store.telemetry.coverage("pi")).toEqual([
        { device: "pi", count: 6, firstSeq: 0, lastSeq: 5, missing: 0 },
      ]);
      // minutes older than their own retention are dropped; the raw sample stays
      expect(await store.telemetry.dropMinutes(60_000)).toBe(2); // pi's and jet's minute 0
      expect(await store.telemetry.coverage("pi")).toEqual([
        { device: "pi", count: 2, firstSeq: 4, lastSeq: 5, missing: 0 },
      ]);
      expect(await store.telemetry.rollUp(120_000)).toBe(0);
    });

    it("keeps everything across a close and reopen (migrations run once)", async () => {
      const a = await store.put(app("web", { x: 1 }, { team: "a" }), { nowMs: 1 });
      await store.close();
      store = await f.reopen();
      expect(await store.get(app("web"))).toEqual(a.resource);
      const b = await store.put(app("other"), { nowMs: 2 });
      expect(b.resource.resourceVersion).toBe(a.resource.resourceVersion + 1);
    });
  });
}
