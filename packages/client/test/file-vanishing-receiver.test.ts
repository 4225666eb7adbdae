/**
 * Issue 14 fault: a receiver that vanishes mid-transfer (its socket dies, no goodbye) must
 * not hold the sender and the other receivers back until its flow-control silence timeout
 * ({@link RECEIVER_STALL_MS}). Alice sends to Bob and Carol through a real relay with small
 * frames (so the file is small and still many windows long); Carol's socket is cut after
 * her first progress report and cannot come back. Alice's and Bob's clocks stand still
 * (so neither the sender's stall timeout nor Bob's resend requests can rescue the
 * transfer) except when the transfer has visibly stopped, when the test moves Alice's
 * clock on in small steps. The figure is how far Alice's clock had to move before Bob had
 * the whole file: it must stay below the stall timeout.
 */
import { createHash, randomFillSync } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { KIB } from '@sealroom/units';
import { createMemoryStorage, createSealroomClient, type ClientEvent, type WebSocketConstructor } from '../src/index.js';
import { PROGRESS_EVERY_CHUNKS, RECEIVER_STALL_MS, RECEIVER_WINDOW_CHUNKS } from '../src/file-flow-control.js';
import { PASSWORD, TEST_PBKDF2_ITERATIONS, TEST_RECONNECT, makePersonas, receivedTexts, waitFor, type TestClient } from './helpers.js';
import { hashingSink } from './hashing-sink.js';
import { pausableClock, type PausableClock } from './pausable-clock.js';

/** Small frames: chunks of about 32 KiB, so a file of many windows stays a few MB. */
const FRAME_BYTES = 32 * KIB;
/** The file is this many receiver windows long. */
const WINDOWS = 16;
/**
 * The other receiver leaves this long (real time) after its first progress report was
 * queued: the report must have reached Alice (a socket cut with unread input is reset, and
 * what it had not sent is lost), so she knows how often it reports. Setup, not a measure.
 */
const LEAVE_AFTER_REPORT_MS = 1_000;
/** A port nothing listens on: where Carol's reconnects go once she has vanished. */
const DEAD_RELAY = 'ws://127.0.0.1:9';
/** How long Bob's progress must stand still before the test moves Alice's clock, ms (real). */
const STILL_MS = 250;
/** How far the test moves Alice's clock each time the transfer stands still, ms. */
const STEP_MS = 250;

/** Carol's sockets: all of them can be cut, and after `vanish` none connects again. */
class VanishingWebSocket extends WebSocket {
  static readonly open = new Set<VanishingWebSocket>();
  static vanished = false;
  constructor(url: string) {
    super(VanishingWebSocket.vanished ? DEAD_RELAY : url);
    VanishingWebSocket.open.add(this);
    this.once('close', () => VanishingWebSocket.open.delete(this));
  }
  static vanish(): void {
    VanishingWebSocket.vanished = true;
    for (const socket of VanishingWebSocket.open) socket.terminate();
  }
}

async function member(relayUrl: string, name: string, backup: Uint8Array, options: { clock?: PausableClock; WebSocket?: unknown } = {}): Promise<TestClient> {
  const client = createSealroomClient({
    relayUrl,
    storage: createMemoryStorage(),
    WebSocket: (options.WebSocket ?? WebSocket) as unknown as WebSocketConstructor,
    dangerousTestOnlyPbkdf2Iterations: TEST_PBKDF2_ITERATIONS,
    reconnect: TEST_RECONNECT,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const events: ClientEvent[] = [];
  client.onEvent((event) => events.push(event));
  await client.importBackup(backup, PASSWORD);
  return { client, events, name };
}

describe('a receiver that vanishes mid-file', () => {
  let relay: RunningRelay;
  let alice: TestClient;
  let bob: TestClient;
  let carol: TestClient;
  let roomId: string;
  const aliceClock = pausableClock();
  const bobClock = pausableClock();

  beforeAll(async () => {
    // Rate limits lifted: a refusal would make the sender pause on its standing clock.
    relay = await startRelay({ port: 0, logLevel: 'silent', limits: { maxFrameBytes: FRAME_BYTES, messagesPerSecond: 100_000, messageBurst: 100_000 } });
    const personas = await makePersonas(relay.url, ['Alice', 'Bob', 'Carol']);
    alice = await member(relay.url, 'Alice', personas.get('Alice')!, { clock: aliceClock });
    bob = await member(relay.url, 'Bob', personas.get('Bob')!, { clock: bobClock });
    carol = await member(relay.url, 'Carol', personas.get('Carol')!, { WebSocket: VanishingWebSocket });
    const room = await alice.client.createRoom({ name: 'two receivers' });
    roomId = room.id;
    for (const [joiner, count] of [
      [bob, 2],
      [carol, 3],
    ] as const) {
      await joiner.client.joinRoom(room.inviteLink());
      await waitFor(`alice sees ${joiner.name}`, () => alice.client.room(roomId)!.members().length === count);
    }
    await waitFor('bob and carol see everyone', () => [bob, carol].every((t) => t.client.room(roomId)?.members().length === 3));
    // Alice can open Bob's and Carol's messages (their sender keys reached her) before her
    // clock stands still: their progress reports must not wait for a key request's timer.
    for (const receiver of [bob, carol]) {
      await receiver.client.room(roomId)!.sendText(`${receiver.name} is here`);
      await waitFor(`alice reads ${receiver.name}`, () => receivedTexts(alice, roomId).some((m) => m.text === `${receiver.name} is here`));
    }
  }, 60_000);
  afterAll(async () => {
    await alice.client.close();
    await bob.client.close();
    await carol.client.close();
    await relay.close();
  });

  /**
   * Alice offers a file of {@link WINDOWS} windows; Bob accepts, then `other`, which calls
   * `leave` {@link LEAVE_AFTER_REPORT_MS} after its first progress report. Returns how far Alice's clock had to be
   * moved (while Bob's sink stood still) before Bob had the whole file, checked.
   */
  async function bobAfterOtherLeaves(other: TestClient, leave: () => void): Promise<{ advanced: number; otherWrote: number }> {
    const chunkBytes = FRAME_BYTES - KIB; // below the frame, whatever the headers take
    const bytes = new Uint8Array(WINDOWS * RECEIVER_WINDOW_CHUNKS * chunkBytes);
    randomFillSync(bytes);
    const sent = await alice.client.room(roomId)!.sendFile({ blob: new Blob([bytes]), name: `for ${other.name}.bin` });
    const offered = (t: TestClient) => () => t.events.some((e) => e.type === 'file-offer' && e.item.file.fileId === sent.file.fileId);
    await waitFor('bob sees the offer', offered(bob));
    await waitFor(`${other.name} sees the offer`, offered(other));
    // From here on (not before: joining and offering have timers of their own).
    aliceClock.pause();
    bobClock.pause();

    // Bob accepts first and gets the stream in order (his clock stands still: he could not
    // ask again for a chunk he missed); the other accepts once Bob has a chunk.
    const bobSink = hashingSink();
    let bobDone = false;
    const bobAccept = bob.client
      .room(roomId)!
      .acceptFile(sent.file.fileId, bobSink.sink)
      .finally(() => (bobDone = true));
    await waitFor('bob wrote a chunk', () => bobSink.state.bytes > 0);
    let otherWrote = 0;
    let left = false;
    let gone = false;
    other.client.on('file-progress', (e) => {
      if (e.fileId !== sent.file.fileId || e.direction !== 'receive' || left) return;
      otherWrote = e.bytes;
      if (otherWrote < PROGRESS_EVERY_CHUNKS * chunkBytes) return;
      left = true;
      setTimeout(() => {
        leave();
        gone = true;
      }, LEAVE_AFTER_REPORT_MS);
    });
    const otherSink = hashingSink();
    void other.client
      .room(roomId)!
      .acceptFile(sent.file.fileId, otherSink.sink)
      .catch(() => undefined);
    await waitFor(`${other.name} wrote part of the file`, () => left);
    await waitFor(`${other.name} left`, () => gone);

    // While the transfer stands still, move Alice's clock on; count how far.
    let advanced = 0;
    let lastBytes = -1;
    let stillSince = Date.now();
    await waitFor(
      'bob has the whole file',
      () => {
        if (bobDone) return true;
        if (bobSink.state.bytes !== lastBytes) {
          lastBytes = bobSink.state.bytes;
          stillSince = Date.now();
        } else if (Date.now() - stillSince >= STILL_MS) {
          aliceClock.advance(STEP_MS);
          advanced += STEP_MS;
          stillSince = Date.now();
        }
        return false;
      },
      60_000,
    );
    await bobAccept;
    expect(otherSink.state.closed).toBe(false);
    expect(bobSink.state.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
    await waitFor('alice sees the send complete', () => alice.events.some((e) => e.type === 'file-complete' && e.fileId === sent.file.fileId));
    return { advanced, otherWrote };
  }

  it('one whose socket dies: the other receiver gets the whole file well before its stall timeout', async () => {
    const { advanced, otherWrote } = await bobAfterOtherLeaves(carol, () => VanishingWebSocket.vanish());
    console.log(
      `carol vanished ${LEAVE_AFTER_REPORT_MS} ms after her first report (${otherWrote} bytes written); bob had the file after alice's clock moved ${advanced} ms (stall timeout ${RECEIVER_STALL_MS} ms)`,
    );
    expect(VanishingWebSocket.vanished).toBe(true);
    expect(advanced).toBeLessThan(RECEIVER_STALL_MS);
  }, 90_000);
});
