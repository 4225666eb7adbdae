// The abuse run's four attacks (issue 14), all from one address: each starts, runs until
// `stop()`, and says what it achieved and what the relay refused. An attacker does not wait
// for `retryAfterMs`: every loop asks again as soon as it has an answer, so refusals are
// counted, not avoided — a refusal is the relay's defence working.
import { KIB, MIB, SECOND_MS } from '@sealroom/units';
import { AbuseClient, newAbuseRoom, type AbuseRoom } from './abuse-client.js';

/** The rooms the abuser prepared before the first phase (registered once, as an attacker would). */
export interface AbuserRooms {
  /** A room of BIG_ROOM_ENVELOPES large envelopes: what history amplification reads and slow readers ask for. */
  readonly big: AbuseRoom;
  /** The slow readers' room, registered up front so that the flood's spent registration budget cannot keep it out of a phase. */
  readonly slow: AbuseRoom;
}

export const BIG_ROOM_ENVELOPES = 1_000;
export const BIG_ENVELOPE_BYTES = 8 * KIB;
/** Connections per scenario; all of them together stay under the default 64 per address. */
const FLOOD_CONNECTIONS = 8;
const HISTORY_CONNECTIONS = 16;
const HISTORY_OUTSTANDING = 2;
const CHURN_CONNECTIONS = 8;
const SLOW_READERS = 16;
/** The slow readers' room gets a big envelope this often, ms. */
const SLOW_FEED_INTERVAL_MS = 10;
/** How long stopping waits for loops to notice, and slow readers to learn whether they were cut, ms. */
const STOP_GRACE_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => `${(bytes / MIB).toFixed(0)} MiB`;

export interface Scenario {
  readonly name: string;
  start(): Promise<{ stop(): Promise<string> }>;
}

export async function connections(url: string, address: string, count: number): Promise<AbuseClient[]> {
  const clients: AbuseClient[] = [];
  for (let i = 0; i < count; i += 1) clients.push(await AbuseClient.connect(url, address));
  return clients;
}

/** Fills the big room and registers the slow readers' room: the abuser's preparation. */
export async function prepareRooms(url: string, address: string): Promise<{ rooms: AbuserRooms; said: string }> {
  const big = newAbuseRoom();
  const slow = newAbuseRoom();
  const [filler] = await connections(url, address, 1);
  if (!(await filler!.join(big)) || !(await filler!.join(slow))) throw new Error(`the abuser could not register its rooms: ${refusals([filler!])}`);
  const envelope = new Uint8Array(BIG_ENVELOPE_BYTES);
  for (let i = 0; i < BIG_ROOM_ENVELOPES; i += 1) {
    filler!.publish(big, envelope);
    if (i % 100 === 99) await sleep(600); // stays inside the default message burst and rate
  }
  await sleep(SECOND_MS);
  const head = await filler!.history(big);
  filler!.close();
  return {
    rooms: { big, slow },
    said: `big room filled (${BIG_ROOM_ENVELOPES} × ${BIG_ENVELOPE_BYTES / KIB} KiB, head ${head?.head}); slow readers' room registered`,
  };
}

/** Refusals by code over `clients`; the first one's text per code goes to stderr, to tell what a count was about. */
export function refusals(clients: AbuseClient[]): string {
  const total = new Map<string, number>();
  const first = new Map<string, string>();
  for (const client of clients) {
    for (const [code, n] of client.errors) total.set(code, (total.get(code) ?? 0) + n);
    for (const [code, text] of client.firstErrors) if (!first.has(code)) first.set(code, text);
  }
  for (const [code, text] of first) process.stderr.write(`    first ${code}: ${text}\n`);
  return total.size === 0 ? 'none' : [...total].map(([code, n]) => `${code}×${n}`).join(' ');
}

/** Runs `loop` on each client until stopped; closes the clients at the end. */
function loopOn(clients: AbuseClient[], loop: (client: AbuseClient, running: () => boolean) => Promise<void>): { stop(): Promise<void> } {
  let running = true;
  const done = Promise.all(clients.map((client) => loop(client, () => running && client.open).catch(() => undefined)));
  return {
    async stop() {
      running = false;
      await Promise.race([done, sleep(STOP_GRACE_MS)]);
      for (const client of clients) client.close();
    },
  };
}

export function scenarios(url: string, address: string, rooms: AbuserRooms): Scenario[] {
  return [
    {
      name: 'registration flood',
      async start() {
        const clients = await connections(url, address, FLOOD_CONNECTIONS);
        const began = performance.now();
        let registered = 0;
        let attempts = 0;
        const loop = loopOn(clients, async (client, running) => {
          while (running()) {
            const room = newAbuseRoom();
            attempts += 1;
            if (await client.join(room)) registered += 1;
            // Refused or not, leave: a refused admission still counts against the room limit.
            await client.leave(room);
          }
        });
        return {
          async stop() {
            await loop.stop();
            const seconds = (performance.now() - began) / SECOND_MS;
            return `${registered} of ${attempts} registrations admitted (${(registered / seconds).toFixed(1)}/s) over ${FLOOD_CONNECTIONS} connections; refusals: ${refusals(clients)}`;
          },
        };
      },
    },
    {
      name: 'history amplification',
      async start() {
        const clients = await connections(url, address, HISTORY_CONNECTIONS);
        for (const client of clients) await client.join(rooms.big);
        const began = performance.now();
        let requests = 0;
        const loop = loopOn(clients, async (client, running) => {
          const lane = async () => {
            while (running()) {
              requests += 1;
              if ((await client.history(rooms.big)) === undefined) return;
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
        const clients = await connections(url, address, CHURN_CONNECTIONS);
        const began = performance.now();
        let cycles = 0;
        let refusedJoins = 0;
        const loop = loopOn(clients, async (client, running) => {
          while (running()) {
            if (await client.join(rooms.big)) {
              await client.leave(rooms.big);
              cycles += 1;
            } else refusedJoins += 1;
          }
        });
        return {
          async stop() {
            await loop.stop();
            const seconds = (performance.now() - began) / SECOND_MS;
            return `${cycles} join+leave cycles (${(cycles / seconds).toFixed(0)}/s), ${refusedJoins} joins refused, over ${CHURN_CONNECTIONS} connections; refusals: ${refusals(clients)}`;
          },
        };
      },
    },
    {
      name: 'slow readers',
      async start() {
        const readers = await connections(url, address, SLOW_READERS);
        const [feeder] = await connections(url, address, 1);
        const fed = { envelopes: 0, joined: await feeder!.join(rooms.slow) };
        let admitted = 0;
        for (const reader of readers) {
          if (await reader.join(rooms.slow)) admitted += 1;
          // Ask for the big room's history too, then never read any of it.
          await reader.join(rooms.big);
          reader.send({ t: 'history', room: Buffer.from(rooms.big.id).toString('base64url'), after: 0 });
          reader.stopReading();
        }
        const envelope = new Uint8Array(BIG_ENVELOPE_BYTES);
        const timer = setInterval(() => {
          feeder!.publish(rooms.slow, envelope);
          fed.envelopes += 1;
        }, SLOW_FEED_INTERVAL_MS);
        return {
          async stop() {
            clearInterval(timer);
            // A paused reader cannot see a close: read again, briefly, to learn which were cut.
            for (const reader of readers) reader.resumeReading();
            await sleep(STOP_GRACE_MS);
            const cut = readers.filter((reader) => reader.closedCode !== undefined).length;
            for (const client of [...readers, feeder!]) client.close();
            return (
              `${SLOW_READERS} readers (${admitted} admitted) stopped reading; ${fed.envelopes} envelopes of ${BIG_ENVELOPE_BYTES / KIB} KiB fed to their room` +
              `${fed.joined ? '' : ' (feeder NOT admitted)'}; ${cut} cut by the relay; refusals: ${refusals([...readers, feeder!])}`
            );
          },
        };
      },
    },
  ];
}
