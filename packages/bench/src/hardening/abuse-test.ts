// `pnpm test:abuse [--quick]`: the abuse run of issue 14. Honest rooms exchange messages
// through one in-memory relay (its default limits: this measures its defences) while one
// other address attacks it, one scenario at a time and then all at once:
//   - registration flood: new rooms registered as fast as the relay lets one address;
//   - history amplification: small `history` requests for a large room, over and over;
//   - join/leave churn: joining and leaving one room in a loop;
//   - slow readers: members of a busy room that stop reading their sockets.
// Prints, per phase, the honest deliveries' p50/p99 latency and its ratio to the calm phase,
// the relay's RSS (largest sample), and what the abuse achieved. Figures only: the exit
// status is 0 whenever the run completes (no timed assertions; targets live in the report).
import { KIB, MIB, SECOND_MS } from '@sealroom/units';
import { sampleProcess } from '../proc-stats.js';
import { quantile } from '../stats.js';
import { RawRelayClient } from '../wire/raw-relay-client.js';
import { AbuseClient, newAbuseRoom, type AbuseRoom } from './abuse-client.js';
import { oneRelay, relayFlags, type Topology } from './relays.js';
import { readTag, writeTag } from './tally.js';

/** Honest clients connect from here, the abuser from another loopback address, so per-address limits tell them apart. */
const HONEST_ADDRESS = '127.0.0.1';
const ABUSER_ADDRESS = '127.0.0.2';
const HONEST_ROOMS = 10;
const HONEST_ROOM_SIZE = 5;
/** Each honest client sends one message this often, ms (5 per second: a lively chat). */
const HONEST_INTERVAL_MS = 200;
const HONEST_ENVELOPE_BYTES = 300;
/** The abuser's big room, what history amplification reads and slow readers are fed. */
const BIG_ROOM_ENVELOPES = 1_000;
const BIG_ENVELOPE_BYTES = 8 * KIB;
/** Connections per scenario; all of them together stay under the default 64 per address. */
const FLOOD_CONNECTIONS = 8;
const HISTORY_CONNECTIONS = 16;
const HISTORY_OUTSTANDING = 2;
const CHURN_CONNECTIONS = 8;
const SLOW_READERS = 16;
/** The slow readers' room gets a big envelope this often, ms. */
const SLOW_FEED_INTERVAL_MS = 10;
/** Between phases: the abuse stops and the relay settles, ms. */
const SETTLE_MS = 2_000;
const RSS_SAMPLE_MS = 250;
const NS_PER_MS = 1e6;

interface PhaseFigures {
  phase: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxRssBytes: number;
  abuse: string;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => `${(bytes / MIB).toFixed(0)} MiB`;

/** An abuse scenario: starts, runs until `stop()`, and says what it did. */
interface Scenario {
  name: string;
  start(): Promise<{ stop(): Promise<string> }>;
}

async function connections(url: string, count: number): Promise<AbuseClient[]> {
  const clients: AbuseClient[] = [];
  for (let i = 0; i < count; i += 1) clients.push(await AbuseClient.connect(url, ABUSER_ADDRESS));
  return clients;
}

/** Runs `loop` on each client until stopped; closes the clients at the end. */
function loopOn(clients: AbuseClient[], loop: (client: AbuseClient, running: () => boolean) => Promise<void>): { stop(): Promise<void> } {
  let running = true;
  const done = Promise.all(clients.map((client) => loop(client, () => running && client.open).catch(() => undefined)));
  return {
    async stop() {
      running = false;
      await Promise.race([done, sleep(SETTLE_MS)]);
      for (const client of clients) client.close();
    },
  };
}

function scenarios(url: string, bigRoom: AbuseRoom): Scenario[] {
  const refusals = (clients: AbuseClient[]) => {
    const total = new Map<string, number>();
    for (const client of clients) for (const [code, n] of client.errors) total.set(code, (total.get(code) ?? 0) + n);
    return total.size === 0 ? 'none' : [...total].map(([code, n]) => `${code}×${n}`).join(' ');
  };
  return [
    {
      name: 'registration flood',
      async start() {
        const clients = await connections(url, FLOOD_CONNECTIONS);
        const began = performance.now();
        let registered = 0;
        const loop = loopOn(clients, async (client, running) => {
          while (running()) {
            const room = newAbuseRoom();
            if (await client.join(room)) registered += 1;
            // Refused or not, leave: a refused admission still counts against the room limit.
            await client.leave(room);
          }
        });
        return {
          async stop() {
            await loop.stop();
            const seconds = (performance.now() - began) / SECOND_MS;
            return `${registered} rooms registered (${(registered / seconds).toFixed(0)}/s) by ${FLOOD_CONNECTIONS} connections; refusals: ${refusals(clients)}`;
          },
        };
      },
    },
    {
      name: 'history amplification',
      async start() {
        const clients = await connections(url, HISTORY_CONNECTIONS);
        for (const client of clients) await client.join(bigRoom);
        const began = performance.now();
        let requests = 0;
        const loop = loopOn(clients, async (client, running) => {
          const lane = async () => {
            while (running()) {
              requests += 1;
              if ((await client.history(bigRoom)) === undefined) return;
            }
          };
          await Promise.all(Array.from({ length: HISTORY_OUTSTANDING }, lane));
        });
        return {
          async stop() {
            const bytes = clients.reduce((sum, client) => sum + client.bytesIn, 0);
            await loop.stop();
            const seconds = (performance.now() - began) / SECOND_MS;
            return `${requests} history requests pulled ${mib(bytes)} (${mib(bytes / seconds)}/s) over ${HISTORY_CONNECTIONS} connections; refusals: ${refusals(clients)}`;
          },
        };
      },
    },
    {
      name: 'join/leave churn',
      async start() {
        const clients = await connections(url, CHURN_CONNECTIONS);
        const began = performance.now();
        let cycles = 0;
        const loop = loopOn(clients, async (client, running) => {
          while (running()) {
            if (!(await client.join(bigRoom))) continue;
            await client.leave(bigRoom);
            cycles += 1;
          }
        });
        return {
          async stop() {
            await loop.stop();
            const seconds = (performance.now() - began) / SECOND_MS;
            return `${cycles} join+leave cycles (${(cycles / seconds).toFixed(0)}/s) by ${CHURN_CONNECTIONS} connections; refusals: ${refusals(clients)}`;
          },
        };
      },
    },
    {
      name: 'slow readers',
      async start() {
        const readers = await connections(url, SLOW_READERS);
        const [feeder] = await connections(url, 1);
        const room = newAbuseRoom();
        await feeder!.join(room);
        for (const reader of readers) {
          await reader.join(room);
          // Ask for the big room's history too, then never read any of it.
          await reader.join(bigRoom);
          reader.send({ t: 'history', room: Buffer.from(bigRoom.id).toString('base64url'), after: 0 });
          reader.stopReading();
        }
        const envelope = new Uint8Array(BIG_ENVELOPE_BYTES);
        let fed = 0;
        const timer = setInterval(() => {
          feeder!.publish(room, envelope);
          fed += 1;
        }, SLOW_FEED_INTERVAL_MS);
        return {
          async stop() {
            clearInterval(timer);
            // A paused reader cannot see a close: read again, briefly, to learn which were cut.
            for (const reader of readers) reader.resumeReading();
            await sleep(SETTLE_MS);
            const cut = readers.filter((reader) => reader.closedCode !== undefined).length;
            for (const client of [...readers, feeder!]) client.close();
            return `${SLOW_READERS} readers stopped reading; ${fed} envelopes of ${BIG_ENVELOPE_BYTES / KIB} KiB fed to their room; ${cut} cut by the relay; feeder refusals: ${refusals([feeder!])}`;
          },
        };
      },
    },
  ];
}

/** Honest rooms: every client sends on a timer; every delivery's latency goes to `onLatency`. */
async function startHonest(url: string, onLatency: (ms: number) => void): Promise<{ stop(): Promise<{ errors: number; closed: number }> }> {
  const clients: RawRelayClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  let errors = 0;
  let closed = 0;
  let stopping = false;
  for (let r = 0; r < HONEST_ROOMS; r += 1) {
    const room = newAbuseRoom();
    for (let m = 0; m < HONEST_ROOM_SIZE; m += 1) {
      const client = await RawRelayClient.connect(url);
      client.onEnvelope = (envelope) => {
        const tag = readTag(envelope);
        if (tag !== undefined) onLatency(Number(process.hrtime.bigint() - tag.sentNs) / NS_PER_MS);
      };
      client.onClose = () => {
        if (!stopping) closed += 1;
      };
      await client.join(room);
      clients.push(client);
      const timer = setInterval(() => {
        const envelope = new Uint8Array(HONEST_ENVELOPE_BYTES);
        writeTag(envelope, { sentNs: process.hrtime.bigint(), sender: 0, seq: 0 });
        client.publish(room.id, envelope).catch(() => {
          errors += 1;
        });
      }, HONEST_INTERVAL_MS);
      timers.push(timer);
    }
  }
  return {
    async stop() {
      stopping = true;
      for (const timer of timers.splice(0)) clearInterval(timer);
      await Promise.all(clients.map((client) => client.close()));
      return { errors, closed };
    },
  };
}
/**
 * The benchmark lifts per-address and per-connection limits (relay-build.ts); the abuse run
 * keeps the defaults. Every lifted flag must be dropped here: the registration budget's were
 * not, so earlier runs measured a registration flood against a relay with no budget.
 */
function withoutLiftedLimits(args: string[]): string[] {
  const lifted = /^--(max-connections-per-address|rate-messages|burst-messages|rate-bytes|burst-bytes|registrations-per-minute|registration-burst)$/;
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    if (lifted.test(args[i]!)) i += 1;
    else out.push(args[i]!);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const phaseMs = (quick ? 4 : 10) * SECOND_MS;
  const flags = await relayFlags(log);
  // Default limits: the benchmark's lifted ones would switch off the defences measured here.
  const defended = { args: withoutLiftedLimits(flags.args), missing: flags.missing };
  let topology: Topology | undefined;
  try {
    topology = await oneRelay(defended);
    const relay = topology.relays[0]!;
    console.log(
      `abuse run${quick ? ' (--quick)' : ''}: one in-memory relay, default limits; honest: ${HONEST_ROOMS} rooms of ${HONEST_ROOM_SIZE} from ${HONEST_ADDRESS}, ` +
        `one ${HONEST_ENVELOPE_BYTES}-byte message per client every ${HONEST_INTERVAL_MS} ms; abuse from ${ABUSER_ADDRESS}; ${phaseMs / SECOND_MS} s per phase`,
    );

    // The abuser's big room, filled before the calm phase so both phases hold it.
    const bigRoom = newAbuseRoom();
    const [filler] = await connections(relay.wsUrl, 1);
    await filler!.join(bigRoom);
    const envelope = new Uint8Array(BIG_ENVELOPE_BYTES);
    for (let i = 0; i < BIG_ROOM_ENVELOPES; i += 1) {
      filler!.publish(bigRoom, envelope);
      if (i % 100 === 99) await sleep(600); // stays inside the default message burst and rate
    }
    await sleep(SECOND_MS);
    const head = await filler!.history(bigRoom);
    filler!.close();
    log(`  big room filled (${BIG_ROOM_ENVELOPES} × ${BIG_ENVELOPE_BYTES / KIB} KiB; history-end ${JSON.stringify(head)})`);

    let current: number[] | undefined;
    const honest = await startHonest(relay.wsUrl, (ms) => current?.push(ms));
    let rssMax = 0;
    const rssTimer = setInterval(() => {
      rssMax = Math.max(rssMax, sampleProcess(relay.pid)?.rssBytes ?? 0);
    }, RSS_SAMPLE_MS);

    const phase = async (name: string, abuse: (() => Promise<{ stop(): Promise<string> }>) | undefined): Promise<PhaseFigures> => {
      await sleep(SETTLE_MS);
      const running = await abuse?.();
      const samples: number[] = [];
      current = samples;
      rssMax = sampleProcess(relay.pid)?.rssBytes ?? 0;
      await sleep(phaseMs);
      current = undefined;
      const maxRssBytes = rssMax;
      const said = (await running?.stop()) ?? 'none';
      const sorted = Float64Array.from(samples).sort();
      return { phase: name, samples: samples.length, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxRssBytes, abuse: said };
    };

    const results: PhaseFigures[] = [await phase('calm', undefined)];
    const all = scenarios(relay.wsUrl, bigRoom);
    for (const scenario of all) {
      log(`  ${scenario.name}`);
      results.push(await phase(scenario.name, () => scenario.start()));
    }
    log('  all at once');
    results.push(
      await phase('all at once', async () => {
        const running = await Promise.all(all.map((scenario) => scenario.start()));
        return { stop: async () => (await Promise.all(running.map((r) => r.stop()))).join(' | ') };
      }),
    );
    const calm = results[0]!;
    results.push(await phase('calm again', undefined));
    clearInterval(rssTimer);
    const honestEnd = await honest.stop();

    for (const r of results) {
      console.log(
        `${r.phase}: honest p50=${r.p50Ms.toFixed(1)}ms p99=${r.p99Ms.toFixed(1)}ms (p99 ${(r.p99Ms / calm.p99Ms).toFixed(2)}× calm, ${r.samples} deliveries) relay RSS max=${mib(r.maxRssBytes)}` +
          (r.abuse === 'none' ? '' : `; abuse: ${r.abuse}`),
      );
    }
    const worst = results.slice(1).reduce((a, b) => (b.p99Ms / calm.p99Ms > a.p99Ms / calm.p99Ms ? b : a));
    console.log(
      `honest p99 under abuse / calm: worst ${(worst.p99Ms / calm.p99Ms).toFixed(2)}× (${worst.phase}); relay RSS: calm ${mib(calm.maxRssBytes)}, largest ${mib(Math.max(...results.map((r) => r.maxRssBytes)))}; ` +
        `honest publish refusals ${honestEnd.errors}, honest connections cut ${honestEnd.closed}`,
    );
    return 0;
  } finally {
    await topology?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
