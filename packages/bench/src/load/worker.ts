// A load-generator worker thread: opens its share of connections, then sends on an
// open-loop schedule (a fixed rate that does not wait for the server) and records when
// each delivery arrives.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { MILLISECOND_NS, SECOND_MS, SECOND_NS } from '@sealroom/units';
import { openConnection, type BenchConnection } from './connections.js';
import type { OpenRequest, RunRequest, WorkerReply, WorkerRequest } from './messages.js';

/**
 * Sends issued per scheduling turn before yielding to the event loop, so deliveries keep
 * being read while a worker catches up on its schedule.
 */
const MAX_SENDS_PER_TURN = 200;
/** Samples kept per run; past this, latencies are no longer recorded (the count still is). */
const MAX_LATENCY_SAMPLES = 4_000_000;
/** `process.hrtime.bigint()` counts nanoseconds. */
const MILLISECOND_NS_BIG = BigInt(MILLISECOND_NS);

const port = parentPort;
if (!port) throw new Error('worker.ts runs as a worker thread');

let connections: BenchConnection[] = [];
const errors: Record<string, number> = {};
let onDelivery: (envelope: Buffer) => void = () => {};

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function countError(code: string): void {
  errors[code] = (errors[code] ?? 0) + 1;
}

function takeErrors(): Record<string, number> {
  const copy = { ...errors };
  for (const key of Object.keys(errors)) delete errors[key];
  return copy;
}

async function open(request: OpenRequest): Promise<void> {
  const events = { onDelivery: (envelope: Buffer) => onDelivery(envelope), onError: countError };
  const opened: BenchConnection[] = [];
  let failed = 0;
  let firstFailure: string | undefined;
  const openOne = async (index: number) => {
    const plan = request.connections[index]!;
    try {
      opened.push(
        await openConnection({
          kind: request.kind,
          url: request.urls[plan.urlIndex]!,
          room: request.rooms[plan.room]!,
          envelopeBytes: request.envelopeBytes,
          localAddress: plan.localAddress,
          events,
        }),
      );
    } catch (error) {
      failed += 1;
      firstFailure ??= error instanceof Error ? error.message : String(error);
    }
  };
  // The first connection into each room registers its admission key with the relay;
  // opening those first avoids two connections racing to register the same room.
  const seenRooms = new Set<number>();
  const first: number[] = [];
  const rest: number[] = [];
  request.connections.forEach((plan, index) => {
    if (seenRooms.has(plan.room)) rest.push(index);
    else {
      seenRooms.add(plan.room);
      first.push(index);
    }
  });
  await runBounded(first, request.openConcurrency, openOne);
  await runBounded(rest, request.openConcurrency, openOne);
  connections = opened;
  reply({ type: 'opened', opened: opened.length, failed, ...(firstFailure ? { firstFailure } : {}), errors: takeErrors() });
}

async function runBounded(indices: number[], concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, indices.length)) }, async () => {
    while (next < indices.length) {
      const index = indices[next++]!;
      await task(index);
    }
  });
  await Promise.all(lanes);
}

async function run(request: RunRequest): Promise<void> {
  const startNs = BigInt(request.startNs);
  const windowStartNs = startNs + BigInt(request.warmupMs) * MILLISECOND_NS_BIG;
  const windowEndNs = windowStartNs + BigInt(request.measureMs) * MILLISECOND_NS_BIG;
  const ratePerNs = (request.ratePerConnection * connections.length) / SECOND_NS;
  let latencies = new Float64Array(1 << 16);
  let latencyCount = 0;
  let deliveredInWindow = 0;
  let lastDeliveryNs = process.hrtime.bigint();
  onDelivery = (envelope) => {
    const now = process.hrtime.bigint();
    lastDeliveryNs = now;
    if (now < windowStartNs || now >= windowEndNs) return;
    deliveredInWindow += 1;
    if (latencyCount >= MAX_LATENCY_SAMPLES) return;
    if (latencyCount === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[latencyCount++] = Number(now - envelope.readBigUInt64BE(0)) / MILLISECOND_NS;
  };

  let issued = 0;
  let scheduledInWindow = 0;
  let skippedInWindow = 0;
  let next = 0;
  let windowLoop: EventLoopUtilization | undefined;
  let loopUtilisation = Number.NaN;
  await waitUntil(startNs);
  await new Promise<void>((resolve) => {
    const turn = () => {
      const now = process.hrtime.bigint();
      if (now >= windowStartNs && windowLoop === undefined) windowLoop = performance.eventLoopUtilization();
      if (now >= windowEndNs) {
        if (windowLoop) loopUtilisation = performance.eventLoopUtilization(windowLoop).utilization;
        resolve();
        return;
      }
      const due = Math.floor(Number(now - startNs) * ratePerNs) - issued;
      const sends = Math.min(due, MAX_SENDS_PER_TURN);
      const inWindow = now >= windowStartNs;
      for (let i = 0; i < sends; i += 1) {
        const connection = connections[next]!;
        next = (next + 1) % connections.length;
        const sent = connection.send(process.hrtime.bigint());
        issued += 1;
        if (inWindow) {
          scheduledInWindow += 1;
          if (!sent) skippedInWindow += 1;
        }
      }
      // Behind schedule: go again as soon as pending I/O has run; on schedule: sleep a tick.
      if (due > MAX_SENDS_PER_TURN) setImmediate(turn);
      else setTimeout(turn, 1);
    };
    turn();
  });
  const planned = Math.floor(Number(windowEndNs - startNs) * ratePerNs);
  const scheduleKeptRatio = planned === 0 ? 1 : issued / planned;

  const drainStarted = process.hrtime.bigint();
  const quietNs = BigInt(request.drainQuietMs) * MILLISECOND_NS_BIG;
  const maxNs = BigInt(request.drainMaxMs) * MILLISECOND_NS_BIG;
  let drained = false;
  for (;;) {
    const now = process.hrtime.bigint();
    if (now - lastDeliveryNs >= quietNs) {
      drained = true;
      break;
    }
    if (now - drainStarted >= maxNs) break;
    await new Promise((resolve) => setTimeout(resolve, request.drainQuietMs / 4));
  }
  onDelivery = () => {};
  const samples = latencies.slice(0, latencyCount);
  reply(
    {
      type: 'ran',
      scheduledInWindow,
      skippedInWindow,
      sentInWindow: scheduledInWindow - skippedInWindow,
      loopUtilisation,
      deliveredInWindow,
      latenciesMs: samples,
      scheduleKeptRatio,
      drained,
      errors: takeErrors(),
    },
    [samples.buffer],
  );
}

async function waitUntil(targetNs: bigint): Promise<void> {
  for (;;) {
    const remainingMs = Number(targetNs - process.hrtime.bigint()) / MILLISECOND_NS;
    if (remainingMs <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(remainingMs, SECOND_MS)));
  }
}

async function closeAll(): Promise<void> {
  await Promise.all(connections.map((connection) => connection.close()));
  connections = [];
  reply({ type: 'closed' });
}

port.on('message', (request: WorkerRequest) => {
  const work = request.type === 'open' ? open(request) : request.type === 'run' ? run(request) : closeAll();
  work.catch((error: unknown) => reply({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
});
