// Section 4: a file sent encrypted through the relay between two Node clients (the client
// package, end to end: digest pass, signed manifest, AES-GCM chunks, receiver's digest
// check) against the same bytes sent unencrypted through the same relay as raw PUBLISH
// frames with the same chunk size and bytes in flight.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { BenchContext } from '../context.js';
import { withDeadline } from '../deadline.js';
import { randomRoom } from '../load/generator.js';
import { fmtFixed, fmtKiB, fmtMiB, fmtRatio, type SectionResult, type Verdict } from '../report.js';
import { startServer, type RunningServer } from '../servers.js';
import { median, ratio } from '../stats.js';
import { RawRelayClient } from '../wire/raw-relay-client.js';

const CLIENT_FILES_SOURCE = fileURLToPath(new URL('../../../client/src/files.ts', import.meta.url));
/** Plaintext bytes per chunk: the protocol's default file chunk (DEFAULT_FILE_CHUNK_BYTES), 256 KiB. */
const FALLBACK_CHUNK_BYTES = 256 * 1024;
/**
 * The client's file sender keeps at most 4 MiB unacknowledged by the relay and waits while
 * its socket holds more than 2 MiB unsent (MAX_IN_FLIGHT_BYTES and MAX_SOCKET_BUFFER_BYTES
 * in packages/client/src/files.ts). The plain sender uses the same two bounds, so the
 * transfers differ only in the cryptography.
 */
const WINDOW_BYTES = 4 * 1024 * 1024;
const SOCKET_BUFFER_BYTES = 2 * 1024 * 1024;
/** Poll interval while the socket buffer drains, ms. */
const BUFFER_POLL_MS = 1;
/** One transfer may take at most this long before the section fails, ms (100 MB at under 1 MB/s is broken). */
const TRANSFER_TIMEOUT_MS = 180_000;
/** Target from DESIGN.md §5: encrypted file throughput at least half the plain one. */
const TARGET_ENCRYPTED_VS_PLAIN = 0.5;
/** Bytes sent each way, untimed, before the measured transfers. */
const WARMUP_BYTES = 4 * 1024 * 1024;
const BENCH_PASSWORD = 'correct horse battery staple, benchmark only';
const MS_PER_S = 1_000;
const BYTES_PER_MB = 1_000_000;

/** A file's bytes, generated on the fly from one random block so no pass holds the file. */
function fileStream(size: number, chunkBytes: number, block: Uint8Array): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) {
        controller.close();
        return;
      }
      const length = Math.min(chunkBytes, size - sent);
      controller.enqueue(block.slice(0, length));
      sent += length;
    },
  });
}

/** Same bytes, no cryptography: chunks as raw envelopes, at most `windowBytes` unacknowledged. */
async function plainTransfer(server: RunningServer, size: number, chunkBytes: number, windowBytes: number, block: Uint8Array): Promise<number> {
  const room = randomRoom();
  const sender = await RawRelayClient.connect(server.wsUrl);
  const receiver = await RawRelayClient.connect(server.wsUrl);
  try {
    await sender.join(room);
    await receiver.join(room);
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      receiver.onEnvelope = (envelope) => {
        received += envelope.length;
        if (received >= size) resolve();
      };
      receiver.onClose = (code) => reject(new Error(`the relay closed the plain receiver (close ${code}) after ${received} of ${size} bytes`));
    });
    // Awaited below; until then a rejection must not count as unhandled.
    done.catch(() => {});
    const started = performance.now();
    let inFlight = 0;
    let offset = 0;
    let release: (() => void) | undefined;
    let refused: Error | undefined;
    const acked: Promise<void>[] = [];
    while (offset < size) {
      const length = Math.min(chunkBytes, size - offset);
      while (inFlight + length > windowBytes) await new Promise<void>((resolve) => (release = resolve));
      while (sender.bufferedAmount > SOCKET_BUFFER_BYTES) await new Promise((resolve) => setTimeout(resolve, BUFFER_POLL_MS));
      inFlight += length;
      offset += length;
      acked.push(
        sender.publish(room.id, block.subarray(0, length)).then(
          () => {
            inFlight -= length;
            release?.();
          },
          (error: unknown) => {
            // A refused chunk must not leave the window full forever: record it and fail.
            refused ??= error instanceof Error ? error : new Error(String(error));
            release?.();
          },
        ),
      );
      if (refused) throw refused;
    }
    await withDeadline(Promise.all([done, ...acked]), TRANSFER_TIMEOUT_MS, 'plain transfer');
    if (refused) throw refused;
    return performance.now() - started;
  } finally {
    await sender.close();
    await receiver.close();
  }
}

interface ClientModule {
  createSealroomClient: typeof import('@sealroom/client').createSealroomClient;
  createMemoryStorage: typeof import('@sealroom/client').createMemoryStorage;
}

/** The encrypted transfer through the client package; returns total ms and ms from the first chunk sent. */
async function encryptedSession(server: RunningServer, client: ClientModule) {
  const make = () =>
    client.createSealroomClient({
      relayUrl: server.httpUrl,
      storage: client.createMemoryStorage(),
      WebSocket: WebSocket as unknown as Parameters<typeof client.createSealroomClient>[0]['WebSocket'],
    });
  const alice = make();
  const bob = make();
  await alice.createIdentity({ displayName: 'Alice', password: BENCH_PASSWORD });
  await bob.createIdentity({ displayName: 'Bob', password: BENCH_PASSWORD });
  const room = await alice.createRoom({ name: 'bench files' });
  const bobJoined = new Promise<void>((resolve) => {
    const off = alice.on('member-joined', () => {
      off();
      resolve();
    });
  });
  const bobRoom = await bob.joinRoom(room.inviteLink());
  await withDeadline(bobJoined, TRANSFER_TIMEOUT_MS, 'joining the room');
  bob.on('file-offer', ({ item }) => {
    const sink = new WritableStream<Uint8Array>({ write() {} });
    void bobRoom.acceptFile(item.file.fileId, sink).catch(() => {});
  });
  return {
    async transfer(size: number, chunkBytes: number, block: Uint8Array): Promise<{ totalMs: number; streamingMs: number }> {
      let firstChunkAt: number | undefined;
      const offProgress = alice.on('file-progress', (event) => {
        if (event.direction === 'send' && firstChunkAt === undefined) firstChunkAt = performance.now();
      });
      const complete = new Promise<void>((resolve, reject) => {
        const offComplete = bob.on('file-complete', (event) => {
          if (event.direction !== 'receive') return;
          offComplete();
          resolve();
        });
        bob.on('file-failed', (event) => reject(new Error(`file transfer failed: ${event.code}`)));
      });
      const started = performance.now();
      await room.sendFile({ openStream: () => fileStream(size, chunkBytes, block), size, name: 'bench.bin', mimeType: 'application/octet-stream' });
      await withDeadline(complete, TRANSFER_TIMEOUT_MS, 'encrypted transfer');
      const ended = performance.now();
      offProgress();
      return { totalMs: ended - started, streamingMs: ended - (firstChunkAt ?? started) };
    },
    async close() {
      await alice.close();
      await bob.close();
    },
  };
}

export async function runFiles(context: BenchContext): Promise<SectionResult> {
  const title = 'File transfer';
  if (!context.relay.available) return { name: 'files', title, status: 'unavailable', reason: `relay: ${context.relay.reason}`, tables: [], verdicts: [] };
  if (!existsSync(CLIENT_FILES_SOURCE)) return { name: 'files', title, status: 'unavailable', reason: 'the client package has no file transfer yet (packages/client/src/files.ts)', tables: [], verdicts: [] };
  const client = (await import('@sealroom/client')) as unknown as ClientModule;
  const protocol = (await import('@sealroom/protocol')) as Record<string, unknown>;
  const chunkBytes = typeof protocol.DEFAULT_FILE_CHUNK_BYTES === 'number' ? protocol.DEFAULT_FILE_CHUNK_BYTES : FALLBACK_CHUNK_BYTES;
  const windowBytes = WINDOW_BYTES;
  const size = context.profile.files.bytes;
  const block = randomBlock(chunkBytes);

  const server = await startServer('relay', { relayArgs: context.relay.benchArgs });
  const plainMs: number[] = [];
  const encryptedMs: number[] = [];
  const streamingMs: number[] = [];
  let session: Awaited<ReturnType<typeof encryptedSession>> | undefined;
  try {
    session = await encryptedSession(server, client);
    // Warm-up: the first transfer of each kind pays for JIT compilation and buffer growth.
    await plainTransfer(server, WARMUP_BYTES, chunkBytes, windowBytes, block);
    await session.transfer(WARMUP_BYTES, chunkBytes, block);
    // Alternate the two so drift in the machine's load hits both alike.
    for (let trial = 0; trial < context.profile.files.trials; trial += 1) {
      plainMs.push(await plainTransfer(server, size, chunkBytes, windowBytes, block));
      const encrypted = await session.transfer(size, chunkBytes, block);
      encryptedMs.push(encrypted.totalMs);
      streamingMs.push(encrypted.streamingMs);
      context.log(`files: plain ${fmtFixed(plainMs.at(-1)!, 0)} ms, encrypted ${fmtFixed(encrypted.totalMs, 0)} ms (${fmtFixed(encrypted.streamingMs, 0)} ms after the digest pass)`);
    }
  } finally {
    await session?.close();
    await server.stop();
  }
  const mbps = (ms: number) => size / BYTES_PER_MB / (ms / MS_PER_S);
  const plain = mbps(median(plainMs));
  const encrypted = mbps(median(encryptedMs));
  const streaming = mbps(median(streamingMs));
  const encryptedVsPlain = ratio(encrypted, plain);
  const verdicts: Verdict[] = [
    { figure: 'Encrypted vs plain file throughput', value: `${fmtRatio(encryptedVsPlain)} (${fmtFixed(encrypted, 1)} vs ${fmtFixed(plain, 1)} MB/s)`, target: `≥ ${TARGET_ENCRYPTED_VS_PLAIN}×`, met: encryptedVsPlain >= TARGET_ENCRYPTED_VS_PLAIN },
  ];
  return {
    name: 'files',
    title,
    status: 'ok',
    tables: [
      {
        title: `File transfer: ${fmtMiB(size)} between two Node clients through one relay`,
        headers: ['Transfer', 'MB/s', 'Seconds'],
        rows: [
          ['Plain: raw PUBLISH frames', fmtFixed(plain, 1), fmtFixed(median(plainMs) / MS_PER_S, 2)],
          ['Encrypted: client package, offer to verified receipt', fmtFixed(encrypted, 1), fmtFixed(median(encryptedMs) / MS_PER_S, 2)],
          ['Encrypted, from the first chunk sent (after the digest pass)', fmtFixed(streaming, 1), fmtFixed(median(streamingMs) / MS_PER_S, 2)],
        ],
        notes: [
          `${fmtKiB(chunkBytes)} chunks; both senders keep at most ${fmtMiB(windowBytes)} unacknowledged and wait while ${fmtMiB(SOCKET_BUFFER_BYTES)} sit unsent in the socket; medians of ${context.profile.files.trials} alternating trial(s).`,
          'The encrypted figure includes everything the user waits for: the sender’s digest pass over the file, the signed manifest, AES-256-GCM per chunk, and the receiver’s decryption and digest check.',
          'The relay runs with its per-connection byte rate limit lifted (default 16 MiB/s would cap both transfers alike).',
        ],
      },
    ],
    verdicts,
    json: {
      bytes: size,
      chunkBytes,
      plainMBps: plain,
      encryptedMBps: encrypted,
      encryptedStreamingMBps: streaming,
      encryptedVsPlainThroughputRatio: encryptedVsPlain,
      trials: context.profile.files.trials,
    },
  };
}

function randomBlock(length: number): Uint8Array {
  // getRandomValues fills at most 65,536 bytes per call.
  const block = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += RANDOM_FILL_LIMIT) crypto.getRandomValues(block.subarray(offset, Math.min(length, offset + RANDOM_FILL_LIMIT)));
  return block;
}

/** crypto.getRandomValues refuses more than 65,536 bytes per call (WebCrypto spec). */
const RANDOM_FILL_LIMIT = 65_536;
