// Actors: the consumers and producers of a microgrid, each driven by a signal.
import type { Signal } from "./signal/signal.js";

/** What an actor is, for embodied emissions: solar and wind producers are charged per kWp. */
export type ActorKind = "solar" | "wind" | "load" | "other";

export interface ActorConfig {
  name: string;
  /** Magnitude of the actor's power over time, W (≥ 0). */
  signal: Signal;
  /** true: draws power; false: produces it. */
  consumer: boolean;
  kind?: ActorKind;
  /** Rated peak power for embodied emissions (solar, wind), W. */
  peakW?: number;
}

/** A snapshot of an actor after a step. */
export interface ActorState {
  name: string;
  /** Signed power at the bus, W: producers positive, consumers negative (Vessim's convention). */
  powerW: number;
}

/**
 * A consumer or producer. `step(tsMs)` reads its signal at the start of the step and holds the value for the
 * whole step. Negative signal values are treated as 0 (a producer never consumes, a consumer never produces).
 */
export class Actor {
  readonly name: string;
  readonly signal: Signal;
  readonly consumer: boolean;
  readonly kind: ActorKind;
  readonly peakW: number;
  private powerW = 0;

  constructor(config: ActorConfig) {
    this.name = config.name;
    this.signal = config.signal;
    this.consumer = config.consumer;
    this.kind = config.kind ?? (config.consumer ? "load" : "other");
    this.peakW = config.peakW ?? 0;
  }

  /** Reads the signal at `tsMs`; returns the signed power, W. */
  step(tsMs: number): number {
    const v = this.signal.at(tsMs);
    const magnitude = Math.max(v, 0);
    this.powerW = this.consumer ? -magnitude : magnitude;
    return this.powerW;
  }

  state(): ActorState {
    return { name: this.name, powerW: this.powerW };
  }
}
