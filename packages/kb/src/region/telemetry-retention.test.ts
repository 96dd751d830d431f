// The telemetry history's retention on a real SQLite store, with a manual clock: raw samples past their
// retention become minutes in short steps, old minutes go, coverage does not change; and the REST API serves
// either resolution.
import { join } from "node:path";
import { ManualClock, tempDir } from "@qonnect/testkit";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createToken } from "../api/auth.js";
import { KbMetrics } from "../metrics.js";
import { startKbServer } from "../server.js";
import { SqliteStore } from "../store/sqlite-store.js";
import type { TelemetryRecord } from "../store/telemetry-store.js";
import { checkRetention, TelemetryRetention, TelemetryRetentionError } from "./telemetry-retention.js";

const HOUR_MS = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR_MS);

/** A sample every 10 s from `fromMs` for `count` samples. */
function samples(device: string, fromMs: number, count: number): TelemetryRecord[] {
  return Array.from({ length: count }, (_, seq) => ({
    device,
    seq,
    region: "eu",
    tsMs: fromMs + seq * 10_000,
    receivedMs: fromMs + seq * 10_000 + 50,
    late: false,
    powerW: 2 + (seq % 6),
    busVoltageV: 5.1,
    currentA: 0.4,
    cpuUtil: 0.1,
    memoryUsedBytes: 1e8,
    soc: 0.9 - seq / 10_000,
    solarExcessW: 0,
  }));
}

describe("telemetry retention (SQLite store, manual clock)", () => {
  const dir = tempDir("kb-retention-");
  afterAll(() => dir.remove());

  it("rolls raw samples past their retention into minutes in one-window steps and drops minutes past theirs", async () => {
    const store = new SqliteStore(join(dir.path, "a"));
    try {
      // three hours of samples (1080 per device), two devices
      await store.telemetry.add([...samples("pi", T0, 1080), ...samples("jet", T0, 1080)]);
      const before = await store.telemetry.coverage();
      const clock = new ManualClock(T0 + 3 * HOUR_MS);
      const metrics = new KbMetrics();
      const rollUp = vi.spyOn(store.telemetry, "rollUp");
      const retention = new TelemetryRetention({
        store: store.telemetry,
        nowMs: clock.nowMs,
        metrics,
        rawMs: HOUR_MS,
        minutesMs: 3 * HOUR_MS,
        windowMs: 30 * 60_000,
      });
      // the first two hours are past the raw retention: 720 samples per device, in 4 steps of 30 min
      expect(await retention.runOnce()).toEqual({ rolledUp: 1440, dropped: 0 });
      expect(rollUp).toHaveBeenCalledTimes(4);
      expect(await store.telemetry.coverage()).toEqual(before);
      expect(await store.telemetry.oldestRawMs()).toBe(T0 + 2 * HOUR_MS);
      const minutes = await store.telemetry.listMinutes("pi", 0, Number.MAX_SAFE_INTEGER, 1000);
      expect(minutes).toHaveLength(120);
      expect(minutes.every((m) => m.samples === 6 && m.powerWMean === 4.5 && m.powerWMax === 7)).toBe(true);
      // nothing new is old enough: a second round does nothing
      expect(await retention.runOnce()).toEqual({ rolledUp: 0, dropped: 0 });
      // an hour later the third hour is rolled up, and the first hour of minutes is past its retention
      clock.advance(HOUR_MS);
      expect(await retention.runOnce()).toEqual({ rolledUp: 720, dropped: 120 });
      expect(await store.telemetry.coverage("pi")).toEqual([
        { device: "pi", count: 720, firstSeq: 360, lastSeq: 1079, missing: 0 },
      ]);
      const counted = await metrics.telemetryRetention.get();
      expect(Object.fromEntries(counted.values.map((v) => [v.labels.outcome, v.value]))).toEqual({
        rolled_up: 2160,
        minutes_dropped: 120,
      });
    } finally {
      await store.close();
    }
  });

  it("refuses settings that would lose data sooner than asked, saying which", () => {
    expect(() => checkRetention(30_000, HOUR_MS)).toThrow(TelemetryRetentionError);
    expect(() => checkRetention(30_000, HOUR_MS)).toThrow(/at least a minute/);
    expect(() => checkRetention(2 * HOUR_MS, HOUR_MS)).toThrow(/minutes must outlive raw samples/);
    expect(() => checkRetention()).not.toThrow();
  });

  it("the REST API serves raw samples and minutes (?resolution=1m); another resolution is a 400 that names both", async () => {
    const kb = await startKbServer({
      dataDir: join(dir.path, "b"),
      grpc: "127.0.0.1:0",
      http: "127.0.0.1:0",
      insecure: true,
      planning: false,
    });
    try {
      const token = (await createToken(kb.store, "viewer", { nowMs: Date.now() })).token;
      await kb.store.telemetry.add(samples("pi", T0, 18));
      await kb.store.telemetry.rollUp(T0 + 120_000); // the first two minutes
      const get = async (query: string) => {
        const res = await fetch(`${kb.httpUrl}/api/v1/devices/pi/telemetry?from=0&${query}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const raw = await get("resolution=raw");
      expect(raw.status).toBe(200);
      expect((raw.body.samples as { seq: number }[]).map((s) => s.seq)).toEqual([12, 13, 14, 15, 16, 17]);
      expect(raw.body.coverage).toEqual({ device: "pi", count: 18, firstSeq: 0, lastSeq: 17, missing: 0 });
      const perMinute = await get("resolution=1m");
      expect(perMinute.status).toBe(200);
      expect(perMinute.body.minutes).toEqual([
        expect.objectContaining({ minuteMs: T0, samples: 6, firstSeq: 0, lastSeq: 5 }),
        expect.objectContaining({ minuteMs: T0 + 60_000, samples: 6, firstSeq: 6, lastSeq: 11 }),
      ]);
      const bad = await get("resolution=5m");
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toMatch(/resolution is raw .* or 1m/);
    } finally {
      await kb.close();
    }
  });
});
