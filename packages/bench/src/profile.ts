// The two sizes of the suite. `--quick` must finish in under 3 minutes on 2 cores; the
// full run aims at about 15 minutes. Every run is bounded in time and stops by itself.
// Quick and full offer the same loads at the same reference step; the full run adds steps
// and rounds.
import { MIB } from '@sealroom/units';
import type { RunTiming } from './sections/rounds.js';

export interface FanoutWorkload {
  /** Key of the workload in the report and the JSON, e.g. `fanout1000`. */
  key: string;
  connections: number;
  roomSize: number;
  /** Envelope bytes per message: about a sealed text message (signature + header + short body). */
  envelopeBytes: number;
  /**
   * `default`: the relay exactly as shipped, no limit raised (its 200 messages/s per
   * connection bound the rates); `raised`: per-connection rate limits lifted, so a few
   * connections can offer more than 200 messages/s each.
   */
  relayLimits: 'default' | 'raised';
  /** Offered rates, envelopes per connection per second, lightest first: the same steps for every server. */
  rates: number[];
  /** Index in `rates` of the load servers are compared at (a slower server falls back to a lower step). */
  referenceStep: number;
}

export interface ScaleOutProfile {
  connections: number;
  roomSize: number;
  envelopeBytes: number;
  /** The fixed offered load, envelopes per connection per second, for every setup. */
  ratePerConnection: number;
  /** Relay process counts compared, the first being 1. */
  processCounts: number[];
  rounds: number;
}

/** The durable store beside the memory store: one workload, the same steps for every store. */
export interface StorageProfile {
  connections: number;
  roomSize: number;
  envelopeBytes: number;
  /** Offered rates, envelopes per connection per second, lightest first. */
  rates: number[];
  /** Index in `rates` of the load CPU per delivery is compared at. */
  referenceStep: number;
  rounds: number;
  /**
   * Before its first step each relay is filled to its retention (`--retention-count`
   * envelopes in every room, the relay's default), offering `ratePerConnection` meanwhile:
   * the steps then measure the steady state of a relay that has been up a while, where every
   * envelope stored also pushes the oldest of its room out.
   */
  fill: { retentionCount: number; ratePerConnection: number };
}

export interface Profile {
  name: 'quick' | 'full';
  /** Load-generator worker threads. */
  workers: number;
  timing: RunTiming;
  fanout: { workloads: FanoutWorkload[]; rounds: number };
  idle: { connections: number; settleMs: number };
  crypto: { budgetMs: number; roomSizes: number[]; rotationRoomSizes: number[]; rotationRuns: number; unlockRuns: number };
  files: { bytes: number; trials: number };
  scaleOut: ScaleOutProfile;
  storage: StorageProfile;
  /** The browser file transfer: bytes of the file, and how long one transfer may take. */
  browserFile: { bytes: number; trials: number; timeoutMs: number };
}

/** 1 KiB: about a sealed short text message. */
const ENVELOPE_BYTES = 1024;
/** The relay's default retention per room; 80/s per connection fills rooms of 10 in 12.5 s. */
const STORAGE_FILL = { retentionCount: 10_000, ratePerConnection: 80 };
/** 100 MB, decimal, as the target in DESIGN.md §5 is stated. */
const BROWSER_FILE_BYTES = 100_000_000;

export const QUICK: Profile = {
  name: 'quick',
  workers: 2,
  timing: { warmupMs: 300, measureMs: 1_000, drainQuietMs: 200, drainMaxMs: 10_000 },
  fanout: {
    rounds: 1,
    // Offered deliveries/s: 18,000, 36,000, 72,000 (the reference), 288,000. The full run's
    // second workload (200 busier connections) is left out to stay within 3 minutes.
    workloads: [
      { key: 'fanout1000', connections: 1_000, roomSize: 10, envelopeBytes: ENVELOPE_BYTES, relayLimits: 'default', rates: [2, 4, 8, 32], referenceStep: 2 },
    ],
  },
  idle: { connections: 2_000, settleMs: 1_500 },
  crypto: { budgetMs: 200, roomSizes: [2, 10, 50, 100], rotationRoomSizes: [2, 10, 50, 100], rotationRuns: 1, unlockRuns: 2 },
  files: { bytes: 20 * MIB, trials: 1 },
  scaleOut: { connections: 200, roomSize: 10, envelopeBytes: ENVELOPE_BYTES, ratePerConnection: 30, processCounts: [1, 2, 4], rounds: 1 },
  // Offered deliveries/s: 18,000, 72,000 (the reference), 288,000, 576,000.
  storage: { connections: 200, roomSize: 10, envelopeBytes: ENVELOPE_BYTES, rates: [10, 40, 160, 320], referenceStep: 1, rounds: 1, fill: STORAGE_FILL },
  browserFile: { bytes: BROWSER_FILE_BYTES, trials: 1, timeoutMs: 120_000 },
};

export const FULL: Profile = {
  name: 'full',
  workers: 2,
  timing: { warmupMs: 500, measureMs: 2_000, drainQuietMs: 300, drainMaxMs: 10_000 },
  fanout: {
    rounds: 3,
    workloads: [
      // Offered deliveries/s in both: 18,000, 36,000, 72,000 (the reference), 144,000, 288,000, 576,000.
      {
        key: 'fanout1000',
        connections: 1_000,
        roomSize: 10,
        envelopeBytes: ENVELOPE_BYTES,
        relayLimits: 'default',
        rates: [2, 4, 8, 16, 32, 64],
        referenceStep: 2,
      },
      {
        key: 'fanout200',
        connections: 200,
        roomSize: 10,
        envelopeBytes: ENVELOPE_BYTES,
        relayLimits: 'raised',
        rates: [10, 20, 40, 80, 160, 320],
        referenceStep: 2,
      },
    ],
  },
  idle: { connections: 10_000, settleMs: 3_000 },
  crypto: { budgetMs: 1_500, roomSizes: [2, 10, 50, 100], rotationRoomSizes: [2, 10, 50, 100], rotationRuns: 3, unlockRuns: 5 },
  files: { bytes: 100 * MIB, trials: 3 },
  scaleOut: { connections: 200, roomSize: 10, envelopeBytes: ENVELOPE_BYTES, ratePerConnection: 30, processCounts: [1, 2, 4], rounds: 3 },
  // Offered deliveries/s: 18,000, 36,000, 72,000 (the reference), 144,000, 288,000, 576,000.
  storage: {
    connections: 200,
    roomSize: 10,
    envelopeBytes: ENVELOPE_BYTES,
    rates: [10, 20, 40, 80, 160, 320],
    referenceStep: 2,
    rounds: 3,
    fill: STORAGE_FILL,
  },
  browserFile: { bytes: BROWSER_FILE_BYTES, trials: 3, timeoutMs: 300_000 },
};
