// The harness side of the load generator: spreads whole rooms over worker threads, starts
// every worker's schedule at the same instant and merges what they measured.
import { Worker } from 'node:worker_threads';
import { MILLISECOND_NS, SECOND_MS } from '@sealroom/units';
import { withDeadline } from '../deadline.js';
import { cpuBetween, machineBetween, sampleMachine, sampleProcess, treeCpuSeconds, type MachineSample, type ProcessSample } from '../proc-stats.js';
import { quantileOfSorted } from '../stats.js';
import { ADMISSION_KEY_BYTES, ROOM_ID_BYTES } from '../wire/relay-frames.js';
import type { RoomSpec, ServerKind } from './connections.js';
import type { ConnectionPlan, OpenedReply, RunReply, WorkerReply, WorkerRequest } from './messages.js';

const BOOT_URL = new URL('./boot-worker.mjs', import.meta.url);
const WORKER_ENTRY = new URL('./worker.ts', import.meta.url).href;
/** Lead time before a run starts, so every worker has received its instruction, ms. */
const START_LEAD_MS = 200;
/** How long opening all connections may take before giving up, ms. */
const OPEN_ALL_TIMEOUT_MS = 180_000;

/** How many loopback source addresses connections are spread over. */
const SOURCE_ADDRESS_COUNT = 32;
/**
 * Loopback source addresses for client connections, 127.0.0.2 onwards. All of 127.0.0.0/8
 * is local on Linux; spreading connections over several addresses keeps each address's
 * ephemeral ports (net.ipv4.ip_local_port_range, about 28,000) in reach, and 1,000
 * connections within the relay's default limit of 64 per address.
 */
export const LOOPBACK_SOURCE_ADDRESSES = Array.from({ length: SOURCE_ADDRESS_COUNT }, (_, index) => `127.0.0.${index + 2}`);

/**
 * How connections are spread over several server processes (scale-out). `split`: the
 * members of a room take turns over the processes, so a room has members on several of
 * them; `whole`: every member of a room talks to the same process, rooms dealt in turn.
 */
export type Placement = 'split' | 'whole';

export interface LoadPlan {
  kind: ServerKind;
  /** One or more ws:// URLs, one per server process; see `placement`. */
  urls: string[];
  /** How connections are spread over several URLs; default `split`. */
  placement?: Placement;
  connections: number;
  roomSize: number;
  envelopeBytes: number;
  workers: number;
  openConcurrency?: number;
}

export interface RunParams {
  ratePerConnection: number;
  warmupMs: number;
  measureMs: number;
  drainQuietMs: number;
  drainMaxMs: number;
  /** Server processes whose CPU seconds inside the window are reported. */
  serverPids: number[];
}

export interface RunResult {
  /** Deliveries per second the schedule asked for: sends × (room size − 1). */
  offeredPerSec: number;
  deliveredPerSec: number;
  /** delivered / offered inside the window. */
  deliveredRatio: number;
  p50Ms: number;
  p99Ms: number;
  /** Share of scheduled sends skipped because a socket's buffer was full. */
  skippedRatio: number;
  /** Envelopes handed to the server per second inside the window (scheduled − skipped). */
  sentPerSec: number;
  /** The busiest worker's event-loop utilisation inside the window (0–1): near 1, the generator set the pace. */
  generatorLoopUtilisation: number;
  /** Lowest share of its schedule any worker managed to issue: below ~0.98 the generator lagged. */
  scheduleKeptRatio: number;
  drained: boolean;
  errors: Record<string, number>;
  /** CPU seconds of the server processes inside the window, summed. */
  serverCpuSeconds: number;
  /** CPU seconds of each server process inside the window, in `serverPids` order. */
  cpuSecondsByPid: number[];
  /** CPU seconds the whole machine was busy inside the window (every process, ours and others'). */
  machineBusySeconds: number;
  /**
   * CPU seconds of this process and all its descendants inside the window: the generator,
   * the servers under test and any other server this run started and left idle. The rest
   * of `machineBusySeconds` is other people's work.
   */
  ownCpuSeconds: number;
  /** CPU seconds stolen by the hypervisor inside the window. */
  machineStealSeconds: number;
  /** CPU seconds of the generator (this process, all threads) inside the window. */
  generatorCpuSeconds: number;
  windowSeconds: number;
}

class WorkerHandle {
  private readonly worker: Worker;
  private waiting: ((reply: WorkerReply) => void) | undefined;
  private failure: Error | undefined;

  constructor() {
    this.worker = new Worker(BOOT_URL, { workerData: { entry: WORKER_ENTRY } });
    this.worker.on('message', (reply: WorkerReply) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.(reply);
    });
    this.worker.on('error', (error) => {
      this.failure = error;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.({ type: 'failed', message: error.stack ?? error.message });
    });
  }

  request<T extends WorkerReply>(message: WorkerRequest, expected: T['type']): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.waiting = (reply) => {
        if (reply.type === expected) resolve(reply as T);
        else reject(new Error(reply.type === 'failed' ? reply.message : `worker answered ${reply.type}, expected ${expected}`));
      };
      this.worker.postMessage(message);
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

export function randomRoom(): RoomSpec {
  return {
    id: crypto.getRandomValues(new Uint8Array(ROOM_ID_BYTES)),
    admissionKey: crypto.getRandomValues(new Uint8Array(ADMISSION_KEY_BYTES)),
  };
}

/**
 * Which worker opens each connection, to which room and server process, from which source
 * address: whole rooms per worker (a room's deliveries stay in one thread), members of a
 * room over the processes as `placement` says, source addresses in turn.
 */
export function planConnections(plan: Pick<LoadPlan, 'connections' | 'roomSize' | 'workers' | 'urls' | 'placement'>): ConnectionPlan[][] {
  const roomCount = plan.connections / plan.roomSize;
  const workerCount = Math.max(1, Math.min(plan.workers, roomCount));
  const plans: ConnectionPlan[][] = Array.from({ length: workerCount }, () => []);
  const processes = plan.urls.length;
  for (let connection = 0; connection < plan.connections; connection += 1) {
    const room = Math.floor(connection / plan.roomSize);
    const member = connection % plan.roomSize;
    const urlIndex = (plan.placement ?? 'split') === 'split' ? member % processes : room % processes;
    plans[room % workerCount]!.push({ room, urlIndex, localAddress: LOOPBACK_SOURCE_ADDRESSES[connection % LOOPBACK_SOURCE_ADDRESSES.length]! });
  }
  return plans;
}

export class LoadGenerator {
  private constructor(
    private readonly plan: LoadPlan,
    private readonly workers: WorkerHandle[],
    readonly opened: number,
  ) {}

  /** Opens every connection (admitted and joined) or throws with the first failure. */
  static async open(plan: LoadPlan): Promise<LoadGenerator> {
    if (plan.connections % plan.roomSize !== 0) throw new RangeError('connections must be a whole number of rooms');
    const rooms = Array.from({ length: plan.connections / plan.roomSize }, randomRoom);
    const plans = planConnections(plan);
    const workers = plans.map(() => new WorkerHandle());
    let replies: OpenedReply[];
    try {
      const opening = Promise.all(
        workers.map((worker, index) =>
          worker.request<OpenedReply>(
            {
              type: 'open',
              kind: plan.kind,
              urls: plan.urls,
              rooms,
              connections: plans[index]!,
              envelopeBytes: plan.envelopeBytes,
              openConcurrency: plan.openConcurrency ?? DEFAULT_OPEN_CONCURRENCY,
            },
            'opened',
          ),
        ),
      );
      replies = await withDeadline(opening, OPEN_ALL_TIMEOUT_MS, 'opening connections');
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    const failed = replies.reduce((sum, reply) => sum + reply.failed, 0);
    const opened = replies.reduce((sum, reply) => sum + reply.opened, 0);
    const generator = new LoadGenerator(plan, workers, opened);
    if (failed > 0) {
      await generator.close();
      const first = replies.find((reply) => reply.firstFailure)?.firstFailure;
      throw new Error(`${failed} of ${plan.connections} ${plan.kind} connections failed to open: ${first}`);
    }
    return generator;
  }

  async run(params: RunParams): Promise<RunResult> {
    const startNs = process.hrtime.bigint() + BigInt(START_LEAD_MS * MILLISECOND_NS);
    const windowStartMs = START_LEAD_MS + params.warmupMs;
    let serverBefore: (ProcessSample | undefined)[] = [];
    let serverAfter: (ProcessSample | undefined)[] = [];
    let selfBefore: ProcessSample | undefined;
    let selfAfter: ProcessSample | undefined;
    let machineBefore: MachineSample | undefined;
    let machineAfter: MachineSample | undefined;
    let ownBefore = Number.NaN;
    let ownAfter = Number.NaN;
    const sampleStart = setTimeout(() => {
      serverBefore = params.serverPids.map((pid) => sampleProcess(pid));
      selfBefore = sampleProcess('self');
      machineBefore = sampleMachine();
      ownBefore = treeCpuSeconds();
    }, windowStartMs);
    const sampleEnd = setTimeout(() => {
      serverAfter = params.serverPids.map((pid) => sampleProcess(pid));
      selfAfter = sampleProcess('self');
      machineAfter = sampleMachine();
      ownAfter = treeCpuSeconds();
    }, windowStartMs + params.measureMs);
    const replies = await Promise.all(
      this.workers.map((worker) =>
        worker.request<RunReply>(
          {
            type: 'run',
            startNs: startNs.toString(),
            ratePerConnection: params.ratePerConnection,
            warmupMs: params.warmupMs,
            measureMs: params.measureMs,
            drainQuietMs: params.drainQuietMs,
            drainMaxMs: params.drainMaxMs,
          },
          'ran',
        ),
      ),
    );
    clearTimeout(sampleStart);
    clearTimeout(sampleEnd);
    const windowSeconds = params.measureMs / SECOND_MS;
    const fanOut = this.plan.roomSize - 1;
    const scheduled = replies.reduce((sum, reply) => sum + reply.scheduledInWindow, 0);
    const skipped = replies.reduce((sum, reply) => sum + reply.skippedInWindow, 0);
    const sent = replies.reduce((sum, reply) => sum + reply.sentInWindow, 0);
    const delivered = replies.reduce((sum, reply) => sum + reply.deliveredInWindow, 0);
    const latencies = concatSorted(replies.map((reply) => reply.latenciesMs));
    const errors: Record<string, number> = {};
    for (const reply of replies) for (const [code, count] of Object.entries(reply.errors)) errors[code] = (errors[code] ?? 0) + count;
    const offeredPerSec = params.ratePerConnection * this.opened * fanOut;
    const deliveredPerSec = delivered / windowSeconds;
    const cpuSecondsByPid = params.serverPids.map((_pid, index) => cpuBetween(serverBefore[index], serverAfter[index]));
    const machine = machineBetween(machineBefore, machineAfter);
    return {
      offeredPerSec,
      deliveredPerSec,
      deliveredRatio: offeredPerSec === 0 ? 0 : deliveredPerSec / offeredPerSec,
      p50Ms: quantileOfSorted(latencies, 0.5),
      p99Ms: quantileOfSorted(latencies, 0.99),
      skippedRatio: scheduled === 0 ? 0 : skipped / scheduled,
      sentPerSec: sent / windowSeconds,
      generatorLoopUtilisation: Math.max(...replies.map((reply) => reply.loopUtilisation)),
      scheduleKeptRatio: Math.min(...replies.map((reply) => reply.scheduleKeptRatio)),
      drained: replies.every((reply) => reply.drained),
      errors,
      serverCpuSeconds: cpuSecondsByPid.reduce((sum, seconds) => sum + seconds, 0),
      cpuSecondsByPid,
      generatorCpuSeconds: cpuBetween(selfBefore, selfAfter),
      machineBusySeconds: machine.busySeconds,
      ownCpuSeconds: ownAfter - ownBefore,
      machineStealSeconds: machine.stealSeconds,
      windowSeconds,
    };
  }

  private closed = false;

  /** Closes every connection and ends the workers; calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.workers.map((worker) => worker.request({ type: 'close' }, 'closed')));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** Handshakes in flight at once per worker while opening connections. */
const DEFAULT_OPEN_CONCURRENCY = 64;

function concatSorted(parts: Float64Array[]): Float64Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all.sort();
}
