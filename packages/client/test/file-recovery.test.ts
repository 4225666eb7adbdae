/**
 * Chunk recovery (PROTOCOL Part C.6) against a real relay: Bob's socket runs through a
 * tampering wrapper that flips one bit in chosen delivered file-chunk envelopes, as a
 * hostile network or relay would. A dropped chunk is asked for again and resent; a chunk
 * that never arrives intact fails the transfer on both sides with a typed error.
 */
import { createHash, randomFillSync } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { createMemoryStorage, createSealroomClient, SealroomClientError, type WebSocketConstructor } from '../src/index.js';
import { PASSWORD, TEST_PBKDF2_ITERATIONS, TEST_RECONNECT, clientFor, makePersonas, skippableClock, waitFor, type TestClient } from './helpers.js';
import { MAX_CHUNK_RETRIES, MAX_STALLED_ROUNDS, RESEND_AFTER_MS } from '../src/file-receiver.js';
import { hashingSink } from './hashing-sink.js';
import { DEFAULT_FILE_CHUNK_BYTES } from '@sealroom/protocol';
import type { ClientEvent } from '../src/index.js';

/** Binary relay frames: version 2, then kind 0x02 = DELIVER (docs/PROTOCOL.md Part A). */
const WIRE_VERSION = 2;
const FRAME_DELIVER = 0x02;
/** File chunks travel in envelopes far above this; chat messages and presence stay below. */
const FILE_CHUNK_MIN_BYTES = 16 * 1024;

/** What Bob's socket alters: file-chunk deliveries number `skip + 1` … `skip + count`. */
const tamper = { skip: 0, count: 0, altered: 0, seen: 0 };
function alter(data: unknown): unknown {
  if (!(data instanceof ArrayBuffer)) return data;
  const bytes = new Uint8Array(data);
  if (bytes[0] !== WIRE_VERSION || bytes[1] !== FRAME_DELIVER || bytes.length <= FILE_CHUNK_MIN_BYTES) return data;
  tamper.seen += 1;
  if (tamper.seen <= tamper.skip || tamper.seen > tamper.skip + tamper.count) return data;
  tamper.altered += 1;
  const copy = bytes.slice();
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0x01; // inside the GCM tag
  return copy.buffer;
}
class TamperingWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    const inherited = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage')!;
    type Handler = ((event: { data: unknown }) => void) | null;
    Object.defineProperty(this, 'onmessage', {
      get: () => inherited.get!.call(this) as Handler,
      set: (handler: Handler) => inherited.set!.call(this, handler === null ? null : (event: { data: unknown }) => handler({ data: alter(event.data) })),
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);
}

describe('file chunk recovery', () => {
  let relay: RunningRelay;
  let alice: TestClient;
  let bob: TestClient;
  let roomId: string;
  /** Bob's clock: recovery's waits (resend, stall) are skipped, not slept through. */
  const bobClock = skippableClock();

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    const personas = await makePersonas(relay.url, ['Alice', 'Bob']);
    alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    const bobClient = createSealroomClient({
      relayUrl: relay.url,
      storage: createMemoryStorage(),
      WebSocket: TamperingWebSocket as unknown as WebSocketConstructor,
      dangerousTestOnlyPbkdf2Iterations: TEST_PBKDF2_ITERATIONS,
      reconnect: TEST_RECONNECT,
      clock: bobClock,
    });
    const events: ClientEvent[] = [];
    bobClient.onEvent((event) => events.push(event));
    await bobClient.importBackup(personas.get('Bob')!, PASSWORD);
    bob = { client: bobClient, events, name: 'Bob' };
    const room = await alice.client.createRoom({ name: 'files under attack' });
    roomId = room.id;
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(roomId)!.members().length === 2);
  });
  afterAll(async () => {
    await alice.client.close();
    await bob.client.close();
    await relay.close();
  });

  const offered = (fileId: string) => () => bob.events.some((e) => e.type === 'file-offer' && e.item.file.fileId === fileId);
  const warnings = () => bob.events.filter((e) => e.type === 'warning');

  it('one chunk altered in transit is dropped with a warning, asked for again, resent, and the file arrives intact', async () => {
    const bytes = new Uint8Array(1024 * 1024 + 17);
    randomFillSync(bytes);
    const sent = await alice.client.room(roomId)!.sendFile({ blob: new Blob([bytes]), name: 'report.pdf' });
    await waitFor('bob sees the offer', offered(sent.file.fileId));
    Object.assign(tamper, { skip: 1, count: 1, altered: 0, seen: 0 }); // the second chunk
    const before = warnings().length;
    const { sink, state } = hashingSink();
    await withTimeout(bob.client.room(roomId)!.acceptFile(sent.file.fileId, sink), 20_000, 'the transfer stalled');
    expect(tamper.altered).toBe(1);
    expect(state.closed).toBe(true);
    expect(state.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(warnings().slice(before)).toMatchObject([{ type: 'warning', kind: 'bad-message', code: 'BAD_TAG' }]);
    await waitFor('alice sees the send complete', () => alice.events.some((e) => e.type === 'file-complete' && e.fileId === sent.file.fileId));
    console.log(`altered ${tamper.altered} chunk delivery of ${tamper.seen}; the file arrived intact`);
  });

  it('a stream source re-opens its stream to resend its last chunk', async () => {
    const CHUNKS = 3;
    const bytes = new Uint8Array(CHUNKS * DEFAULT_FILE_CHUNK_BYTES);
    randomFillSync(bytes);
    let opened = 0;
    const openStream = () => {
      opened += 1;
      return new Blob([bytes]).stream();
    };
    const sent = await alice.client.room(roomId)!.sendFile({ openStream, size: bytes.length, name: 'stream.bin' });
    await waitFor('bob sees the offer', offered(sent.file.fileId));
    Object.assign(tamper, { skip: CHUNKS - 1, count: 1, altered: 0, seen: 0 }); // the last chunk
    const { sink, state } = hashingSink();
    await withTimeout(bob.client.room(roomId)!.acceptFile(sent.file.fileId, sink), 20_000, 'the transfer stalled');
    expect(tamper.altered).toBe(1);
    expect(state.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
    // The streaming pass (files v2 need no digest pass: the digest trailer follows the last
    // chunk) and one re-opening for the resend.
    expect(opened).toBe(2);
  });

  it('a chunk that never arrives intact fails the transfer on both sides with a typed error, never a stall', async () => {
    const bytes = new Uint8Array(2 * DEFAULT_FILE_CHUNK_BYTES);
    randomFillSync(bytes);
    const sent = await alice.client.room(roomId)!.sendFile({ blob: new Blob([bytes]), name: 'doomed.bin' });
    await waitFor('bob sees the offer', offered(sent.file.fileId));
    Object.assign(tamper, { skip: 0, count: Number.POSITIVE_INFINITY, altered: 0, seen: 0 });
    const { sink, state } = hashingSink();
    const started = Date.now();
    let settled: unknown;
    const accepted = bob.client
      .room(roomId)!
      .acceptFile(sent.file.fileId, sink)
      .then(
        () => 'completed',
        (error: unknown) => error,
      );
    void accepted.then((value) => (settled = value));
    // Each round, Bob's recovery wait passes at once: he asks again, Alice resends, the
    // resend arrives altered. Recovery must give up within its bounds, never wait on.
    const ROUNDS = MAX_CHUNK_RETRIES + MAX_STALLED_ROUNDS + 2;
    for (let round = 0; round < ROUNDS && settled === undefined; round += 1) {
      const altered = tamper.altered;
      bobClock.advance(RESEND_AFTER_MS);
      await waitFor('a resend round trip, or the end', () => settled !== undefined || tamper.altered > altered);
    }
    const outcome = await withTimeout(accepted, RESEND_AFTER_MS, 'the transfer stalled');
    Object.assign(tamper, { count: 0 });
    // Whichever bound is reached first: the chunk's retries, or rounds without progress.
    expect(outcome).toMatchObject({ name: 'SealroomClientError', code: 'TRANSFER_FAILED' });
    expect(['RESEND_EXHAUSTED', 'STALLED']).toContain((outcome as SealroomClientError).reason);
    expect(state.aborted).toBe(true);
    await waitFor('alice’s send fails too', () =>
      alice.events.some((e) => e.type === 'file-failed' && e.fileId === sent.file.fileId && e.direction === 'send'),
    );
    const failed = alice.events.find((e) => e.type === 'file-failed' && e.fileId === sent.file.fileId);
    console.log(`gave up after ${Date.now() - started} ms and ${tamper.altered} altered deliveries: ${JSON.stringify(failed)}`);
  }, 60_000);
});
