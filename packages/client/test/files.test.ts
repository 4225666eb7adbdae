import { createHash, randomFillSync } from 'node:crypto';
import { mkdtemp, open as openFile, rm } from 'node:fs/promises';
import { openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { clientFor, makePersonas, waitFor, type TestClient } from './helpers.js';
import { hashingSink } from './hashing-sink.js';
import type { FileMessage } from '../src/index.js';
import { RECEIVER_WINDOW_CHUNKS } from '../src/file-flow-control.js';
import { DEFAULT_FILE_CHUNK_BYTES } from '@sealroom/protocol';

const MIB = 1024 * 1024;
/** The figure: 100 MB (decimal), streamed without holding it in memory. */
const LARGE_FILE_BYTES = 100 * 1000 * 1000;
/** Random data is written in pieces of this size to build the test file. */
const WRITE_PIECE_BYTES = 4 * MIB;
/** How often memory is sampled during the transfer, ms. */
const MEMORY_SAMPLE_MS = 25;

describe('files', () => {
  let relay: RunningRelay;
  let personas: Map<string, Uint8Array>;
  let alice: TestClient;
  let bob: TestClient;
  let roomId: string;
  let dir: string;

  beforeAll(async () => {
    // Retention is kept small here so the in-process relay does not hold the file either:
    // the memory figure printed below is then the two clients' own.
    relay = await startRelay({ port: 0, logLevel: 'silent', retention: { maxBytesPerRoom: 8 * MIB } });
    personas = await makePersonas(relay.url, ['Alice', 'Bob']);
    alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
    const room = await alice.client.createRoom({ name: 'files' });
    roomId = room.id;
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('alice sees bob', () => alice.client.room(roomId)!.members().length === 2);
    dir = await mkdtemp(join(tmpdir(), 'sealroom-client-files-'));
  });
  afterAll(async () => {
    await alice.client.close();
    await bob.client.close();
    await relay.close();
    await rm(dir, { recursive: true, force: true });
  });

  const offerFor = (fileId: string) => () =>
    bob.events.some((e) => e.type === 'file-offer' && e.item.file.fileId === fileId);

  it('a small file: offer, accept, progress on both sides, digest checked; a declined one never streams', async () => {
    const bytes = new Uint8Array(700 * 1024);
    randomFillSync(bytes);
    const sent = await alice.client.room(roomId)!.sendFile({ blob: new Blob([bytes], { type: 'application/octet-stream' }), name: 'notes.bin' });
    expect(sent.transfer).toBe('offered');
    await waitFor('bob sees the offer', offerFor(sent.file.fileId));
    const offer = bob.events.find((e) => e.type === 'file-offer' && e.item.file.fileId === sent.file.fileId);
    expect(offer?.type === 'file-offer' && offer.item.file).toMatchObject({ name: 'notes.bin', size: bytes.length });
    const { sink, state } = hashingSink();
    await bob.client.room(roomId)!.acceptFile(sent.file.fileId, sink);
    expect(state.closed).toBe(true);
    expect(state.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
    const progress = (who: TestClient, direction: string) => who.events.filter((e) => e.type === 'file-progress' && e.direction === direction && e.fileId === sent.file.fileId);
    expect(progress(bob, 'receive').length).toBe(3); // 700 KiB in 256 KiB chunks
    await waitFor('alice sees the send complete', () => alice.events.some((e) => e.type === 'file-complete' && e.fileId === sent.file.fileId));
    expect(progress(alice, 'send').at(-1)).toMatchObject({ bytes: bytes.length, total: bytes.length });
    const history = await bob.client.room(roomId)!.history();
    expect((history.find((i) => i.kind === 'file' && i.file.fileId === sent.file.fileId) as FileMessage).transfer).toBe('complete');

    const declined = await alice.client.room(roomId)!.sendFile({ blob: new Blob([bytes]), name: 'unwanted.bin' });
    await waitFor('bob sees the second offer', offerFor(declined.file.fileId));
    await bob.client.room(roomId)!.declineFile(declined.file.fileId);
    const after = (await bob.client.room(roomId)!.history()).find((i) => i.kind === 'file' && i.file.fileId === declined.file.fileId) as FileMessage;
    expect(after.transfer).toBe('declined');
    await expect(bob.client.room(roomId)!.acceptFile(declined.file.fileId, hashingSink().sink)).rejects.toMatchObject({ code: 'TRANSFER_FAILED' });
  });

  it('a slow receiver paces the sender: it never runs more than the window ahead of what was written', async () => {
    const CHUNKS = 96;
    const WRITE_DELAY_MS = 50;
    const bytes = new Uint8Array(CHUNKS * DEFAULT_FILE_CHUNK_BYTES);
    randomFillSync(bytes);
    const sent = await alice.client.room(roomId)!.sendFile({ blob: new Blob([bytes]), name: 'paced.bin' });
    await waitFor('bob sees the offer', offerFor(sent.file.fileId));
    let written = 0;
    let maxLead = 0;
    const stop = alice.client.on('file-progress', (e) => {
      if (e.fileId === sent.file.fileId && e.direction === 'send') maxLead = Math.max(maxLead, e.bytes - written);
    });
    const slowSink = new WritableStream<Uint8Array>({
      async write(chunk) {
        await new Promise((resolve) => setTimeout(resolve, WRITE_DELAY_MS));
        written += chunk.length;
      },
    });
    await bob.client.room(roomId)!.acceptFile(sent.file.fileId, slowSink);
    stop();
    expect(written).toBe(bytes.length);
    const leadChunks = maxLead / DEFAULT_FILE_CHUNK_BYTES;
    console.log(`slow receiver: sender ran at most ${leadChunks.toFixed(1)} chunks ahead of the sink (window ${RECEIVER_WINDOW_CHUNKS})`);
    expect(leadChunks).toBeLessThanOrEqual(RECEIVER_WINDOW_CHUNKS + 1);
  });

  it('a 100 MB file arrives with a matching hash while memory stays bounded', async () => {
    const path = join(dir, 'large.bin');
    const expected = createHash('sha256');
    const handle = await openFile(path, 'w');
    const piece = new Uint8Array(WRITE_PIECE_BYTES);
    for (let written = 0; written < LARGE_FILE_BYTES; written += piece.length) {
      const part = piece.subarray(0, Math.min(piece.length, LARGE_FILE_BYTES - written));
      randomFillSync(part);
      expected.update(part);
      await handle.write(part);
    }
    await handle.close();
    const expectedDigest = expected.digest('hex');

    globalThis.gc?.();
    const baseline = process.memoryUsage();
    const peak = { rss: baseline.rss, heap: baseline.heapUsed, external: baseline.external + baseline.arrayBuffers };
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak.rss = Math.max(peak.rss, now.rss);
      peak.heap = Math.max(peak.heap, now.heapUsed);
      peak.external = Math.max(peak.external, now.external + now.arrayBuffers);
    }, MEMORY_SAMPLE_MS);
    const started = Date.now();
    try {
      const blob = await openAsBlob(path);
      const sent = await alice.client.room(roomId)!.sendFile({ blob, name: 'large.bin' });
      await waitFor('bob sees the large offer', offerFor(sent.file.fileId), 60_000);
      const { sink, state } = hashingSink();
      await bob.client.room(roomId)!.acceptFile(sent.file.fileId, sink);
      expect(state.bytes).toBe(LARGE_FILE_BYTES);
      expect(state.digest).toBe(expectedDigest);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    console.log(
      `100 MB file: ${seconds.toFixed(1)} s (${(LARGE_FILE_BYTES / 1e6 / seconds).toFixed(1)} MB/s incl. two digest passes); ` +
        `peak RSS ${mb(peak.rss)} MB (baseline ${mb(baseline.rss)} MB, +${mb(peak.rss - baseline.rss)} MB); ` +
        `peak heap ${mb(peak.heap)} MB; peak external+arrayBuffers ${mb(peak.external)} MB`,
    );
    // Holding the file would add at least its size; the bound leaves room for GC lag.
    expect(peak.rss - baseline.rss).toBeLessThan(LARGE_FILE_BYTES * 0.8);
  }, 170_000);

  it('uses smaller chunks when the relay’s frames are smaller than 256 KiB', async () => {
    const SMALL_FRAME_BYTES = 64 * 1024;
    const small = await startRelay({ port: 0, logLevel: 'silent', limits: { maxFrameBytes: SMALL_FRAME_BYTES } });
    try {
      const a = await clientFor(small.url, 'Alice', personas.get('Alice')!);
      const b = await clientFor(small.url, 'Bob', personas.get('Bob')!);
      const room = await a.client.createRoom({ name: 'small frames' });
      await b.client.joinRoom(room.inviteLink());
      await waitFor('alice sees bob', () => a.client.room(room.id)!.members().length === 2);
      const bytes = new Uint8Array(300 * 1024);
      randomFillSync(bytes);
      const sent = await a.client.room(room.id)!.sendFile({ blob: new Blob([bytes]), name: 'fits.bin' });
      await waitFor('bob sees the offer', () => b.events.some((e) => e.type === 'file-offer' && e.item.file.fileId === sent.file.fileId));
      const { sink, state } = hashingSink();
      await b.client.room(room.id)!.acceptFile(sent.file.fileId, sink);
      expect(state.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
      const chunks = b.events.filter((e) => e.type === 'file-progress' && e.fileId === sent.file.fileId).length;
      expect(chunks).toBeGreaterThan(Math.ceil(bytes.length / DEFAULT_FILE_CHUNK_BYTES));
      await a.client.close();
      await b.client.close();
    } finally {
      await small.close();
    }
  });

  it('closing the client ends an offer still waiting for the relay, instead of retrying for a minute', async () => {
    const UNREACHABLE_RELAY = 'http://127.0.0.1:9';
    const PROMPT_MS = 3_000;
    const offline = await clientFor(UNREACHABLE_RELAY, 'Alice', personas.get('Alice')!);
    const room = await offline.client.createRoom({ name: 'nowhere' });
    const sending = room.sendFile({ blob: new Blob([new Uint8Array(1024)]), name: 'stuck.bin' });
    const outcome = sending.then(
      () => 'sent',
      (error: { code?: string }) => error.code ?? 'error',
    );
    await new Promise((resolve) => setTimeout(resolve, 200)); // the offer is waiting by now
    const closedAt = Date.now();
    await offline.client.close();
    const settled = await Promise.race([outcome, new Promise((resolve) => setTimeout(() => resolve('still waiting'), PROMPT_MS))]);
    expect(settled).toBe('TRANSFER_FAILED');
    expect(Date.now() - closedAt).toBeLessThan(PROMPT_MS);
  });
});
