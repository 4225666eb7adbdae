// `pnpm test:load [--quick]`: the standing load test of issue 14. Wire-level clients
// (PROTOCOL.md Part A, version 2) in rooms of ten each publish envelopes through (a) one
// in-memory relay process and (b) two relay processes sharing one redis-server, the
// members of every room spread over both. Every acknowledged envelope must reach every
// other member of its room exactly once and in cursor order: one line per topology,
//   <topology>: sent= delivered= lost= duplicated= reordered= p50= p99=
// and the exit status is 1 unless lost, duplicated and reordered are 0 in both.
//
// Full size: 1,000 clients × 100 envelopes; `--quick` (run by the test command): 100 × 100.
// Loopback only; every relay and redis-server started here is stopped at the end.
import { randomBytes } from 'node:crypto';
import { SECOND_MS } from '@sealroom/units';
import { RawRelayClient } from '../wire/raw-relay-client.js';
import { quantile } from '../stats.js';
import { oneRelay, relayFlags, twoRelaysOverRedis, type RelayFlags, type Topology } from './relays.js';
import { DeliveryTally, readTag, writeTag, type TallyFigures } from './tally.js';

interface Size {
  clients: number;
  roomSize: number;
  perClient: number;
}

const FULL: Size = { clients: 1_000, roomSize: 10, perClient: 100 };
const QUICK: Size = { clients: 100, roomSize: 10, perClient: 100 };
/** Envelope bytes: the tag (send time, sender, seq; TAG_BYTES, tally.ts) and padding, about a short chat message. */
const ENVELOPE_BYTES = 200;
/** Publishes a client has in flight (sent, not yet acknowledged): a closed loop, so the relay paces the run. */
const WINDOW = 4;
/** Connections opened (and admitted) at once. */
const CONNECT_CONCURRENCY = 50;
/** After the last ack, deliveries may still be on their way; stop waiting once none has come for this long, ms. */
const DRAIN_IDLE_MS = 3_000;
const DRAIN_POLL_MS = 50;
const ROOM_KEY_BYTES = 32;
const NS_PER_MS = 1e6;

interface Outcome extends TallyFigures {
  label: string;
  expected: number;
  publishErrors: number;
  closedByRelay: number;
  p50Ms: number;
  p99Ms: number;
  seconds: number;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function inBatches<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}

async function run(topology: Topology, size: Size): Promise<Outcome> {
  const started = performance.now();
  const tally = new DeliveryTally(size.clients, size.roomSize, size.perClient);
  const latencies: number[] = [];
  const rooms = Array.from({ length: Math.ceil(size.clients / size.roomSize) }, () => ({
    id: randomBytes(ROOM_KEY_BYTES),
    admissionKey: randomBytes(ROOM_KEY_BYTES),
  }));
  let publishErrors = 0;
  let closedByRelay = 0;
  let closing = false;

  // Client i is in room floor(i / roomSize) and on relay i mod (number of relays), so with
  // two relays every room has members on both.
  const clients = await inBatches(size.clients, CONNECT_CONCURRENCY, async (i) => {
    const client = await RawRelayClient.connect(topology.relays[i % topology.relays.length]!.wsUrl);
    client.onEnvelope = (envelope, cursor) => {
      const tag = readTag(envelope);
      tally.onDelivery(i, cursor, tag);
      if (tag !== undefined) latencies.push(Number(process.hrtime.bigint() - tag.sentNs) / NS_PER_MS);
    };
    client.onClose = () => {
      if (!closing) closedByRelay += 1;
    };
    await client.join(rooms[tally.roomOf(i)]!);
    return client;
  });
  log(`  ${topology.label}: ${size.clients} clients joined in ${((performance.now() - started) / SECOND_MS).toFixed(1)} s; publishing`);

  const sendStarted = performance.now();
  await Promise.all(
    clients.map(async (client, i) => {
      const roomId = rooms[tally.roomOf(i)]!.id;
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < size.perClient) {
          const seq = next;
          next += 1;
          const envelope = new Uint8Array(ENVELOPE_BYTES);
          writeTag(envelope, { sentNs: process.hrtime.bigint(), sender: i, seq });
          try {
            await client.publish(roomId, envelope);
            tally.onAck(i, seq);
          } catch {
            publishErrors += 1;
          }
        }
      };
      await Promise.all(Array.from({ length: WINDOW }, lane));
    }),
  );

  const expected = tally.expected();
  let last = tally.deliveredSoFar;
  let lastChange = performance.now();
  while (tally.deliveredSoFar < expected && performance.now() - lastChange < DRAIN_IDLE_MS) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    if (tally.deliveredSoFar !== last) {
      last = tally.deliveredSoFar;
      lastChange = performance.now();
    }
  }
  const seconds = (performance.now() - sendStarted) / SECOND_MS;
  closing = true;
  await Promise.all(clients.map((client) => client.close()));
  const sorted = Float64Array.from(latencies).sort();
  return {
    label: topology.label,
    ...tally.figures(),
    expected,
    publishErrors,
    closedByRelay,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    seconds,
  };
}

function line(outcome: Outcome): string {
  const extra = [
    outcome.publishErrors > 0 ? ` publish-errors=${outcome.publishErrors}` : '',
    outcome.closedByRelay > 0 ? ` closed-by-relay=${outcome.closedByRelay}` : '',
    outcome.foreign > 0 ? ` foreign=${outcome.foreign}` : '',
  ].join('');
  return (
    `${outcome.label}: sent=${outcome.sent} delivered=${outcome.delivered} lost=${outcome.lost} duplicated=${outcome.duplicated} reordered=${outcome.reordered}` +
    ` latency p50=${outcome.p50Ms.toFixed(1)}ms p99=${outcome.p99Ms.toFixed(1)}ms (${outcome.seconds.toFixed(1)} s)${extra}`
  );
}

const passed = (outcome: Outcome): boolean =>
  outcome.lost === 0 && outcome.duplicated === 0 && outcome.reordered === 0 && outcome.foreign === 0 && outcome.publishErrors === 0 && outcome.sent > 0;

async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const unknown = argv.filter((arg) => arg !== '--quick' && arg !== '--');
  if (unknown.length > 0) {
    log(`usage: pnpm test:load [--quick]   (unknown: ${unknown.join(' ')})`);
    return 2;
  }
  const size = quick ? QUICK : FULL;
  const flags: RelayFlags = await relayFlags(log);
  if (flags.missing.length > 0) log(`relay flags not offered by this relay: ${flags.missing.join(', ')}`);
  console.log(
    `load test${quick ? ' (--quick)' : ''}: ${size.clients} wire-level clients in rooms of ${size.roomSize}, ${size.perClient} envelopes of ${ENVELOPE_BYTES} bytes each, ${WINDOW} in flight per client`,
  );
  const outcomes: Outcome[] = [];
  let failures = 0;
  for (const start of [oneRelay, twoRelaysOverRedis]) {
    let topology: Topology | undefined;
    try {
      topology = await start(flags);
      const outcome = await run(topology, size);
      outcomes.push(outcome);
      console.log(line(outcome));
      if (!passed(outcome)) failures += 1;
    } catch (error) {
      failures += 1;
      console.log(`${topology?.label ?? start.name}: did not run: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await topology?.stop();
    }
  }
  console.log(failures === 0 ? 'load test passed: nothing lost, duplicated or reordered' : `load test FAILED in ${failures} of 2 topologies`);
  return failures === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
