// The two sizes of the suite. `--quick` must finish in under 3 minutes on 2 cores; the
// full run aims at about 10 minutes. Every run is bounded in time and stops by itself.
import { MIB } from '@sealroom/units';

export interface FanoutProfile {
  connections: number;
  roomSize: number;
  /** Envelope bytes per message: about a sealed text message (signature + header + short body). */
  envelopeBytes: number;
  /** First offered rate, envelopes per connection per second. */
  startRate: number;
  /** Each sweep step multiplies the rate by this. */
  stepFactor: number;
  maxSteps: number;
  warmupMs: number;
  measureMs: number;
  /** Interleaved repeats of the saturation and half-load runs; medians are reported. */
  trials: number;
  drainQuietMs: number;
  drainMaxMs: number;
}

export interface Profile {
  name: 'quick' | 'full';
  /** Load-generator worker threads. */
  workers: number;
  fanout: FanoutProfile;
  idle: { connections: number; settleMs: number };
  crypto: { budgetMs: number; roomSizes: number[]; rotationRoomSizes: number[]; rotationRuns: number; unlockRuns: number };
  files: { bytes: number; trials: number };
  /** `startRate` overrides the fan-out's first rate (envelopes/s per connection) for the scale-out sweep. */
  scaleOut: { trials: number; startRate: number };
  /** The durable store beside the memory store (same shape as scale-out). */
  storage: { trials: number; startRate: number };
}

export const QUICK: Profile = {
  name: 'quick',
  workers: 2,
  fanout: {
    connections: 200,
    roomSize: 10,
    envelopeBytes: 1024,
    startRate: 10,
    stepFactor: 2,
    maxSteps: 7,
    warmupMs: 300,
    measureMs: 1_000,
    trials: 1,
    drainQuietMs: 200,
    drainMaxMs: 10_000,
  },
  idle: { connections: 5_000, settleMs: 1_500 },
  crypto: { budgetMs: 300, roomSizes: [2, 10, 50, 100], rotationRoomSizes: [2, 10, 50, 100], rotationRuns: 1, unlockRuns: 2 },
  files: { bytes: 20 * MIB, trials: 1 },
  scaleOut: { trials: 1, startRate: 20 },
  storage: { trials: 1, startRate: 20 },
};

export const FULL: Profile = {
  name: 'full',
  workers: 2,
  fanout: {
    connections: 200,
    roomSize: 10,
    envelopeBytes: 1024,
    startRate: 10,
    stepFactor: 1.5,
    maxSteps: 12,
    warmupMs: 500,
    measureMs: 2_000,
    trials: 3,
    drainQuietMs: 300,
    drainMaxMs: 10_000,
  },
  idle: { connections: 10_000, settleMs: 3_000 },
  crypto: { budgetMs: 1_500, roomSizes: [2, 10, 50, 100], rotationRoomSizes: [2, 10, 50, 100], rotationRuns: 3, unlockRuns: 5 },
  files: { bytes: 100 * MIB, trials: 3 },
  scaleOut: { trials: 3, startRate: 10 },
  storage: { trials: 3, startRate: 10 },
};
