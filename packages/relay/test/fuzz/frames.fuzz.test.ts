/**
 * Fuzz target for everything a client sends the relay (docs/PROTOCOL.md Part A): JSON control
 * messages in text frames, and binary frames (PUBLISH, PUBLISH_PINNED and anything else),
 * through a real in-process relay over a socket. Every frame is answered only with messages of
 * the protocol (an error always with a code of A.7), or closes the connection with one of the
 * protocol's close codes; the relay never throws, never stops answering, and a room in it
 * still relays byte-exact afterwards.
 *
 * One frame per run, then a ping: the pong bounds the run (a hang fails it by fast-check's
 * per-run timeout, scripts/fuzz-setup.ts).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, type RunningRelay } from '../../src/index.js';
import { expectJoined, newRoom, publishFrame, TestClient, type Json, type Room } from '../helpers/client.js';
import { useRelays } from '../helpers/relay.js';

/** Small enough that the oversized-frame arm is cheap; large enough for real envelopes. */
const MAX_FRAME_BYTES = 4_096;
const MAX_CONTROL_BYTES = 2_048;
/** No rate limit or per-address cap may be what answers: the fuzz makes one connection after another. */
const UNLIMITED = 1_000_000;
/** Messages a client can get from the relay (A.2–A.7). */
const REPLY_TYPES = new Set(['hello', 'challenge', 'joined', 'left', 'history-end', 'gap', 'pong', 'error']);
const ERROR_CODES = new Set<string>(Object.values(ErrorCode));
/** Closes the relay (or `ws` for it) may answer a hostile frame with. */
const CLOSES = new Set<number>([CloseCode.PROTOCOL_ERROR, CloseCode.INVALID_PAYLOAD, CloseCode.POLICY_VIOLATION, CloseCode.MESSAGE_TOO_BIG]);

type Frame = { text: string } | { binary: Uint8Array } | { invalidUtf8: Uint8Array };

/** A run is a frame and a ping round trip, sometimes a reconnect and an admission: generous. */
const TIMEOUT_MS_PER_RUN = 50;
const timeoutMs = (): number => (fc.readConfigureGlobal().numRuns ?? 1) * TIMEOUT_MS_PER_RUN;

function frames(room: Room, other: Room): { text: fc.Arbitrary<Frame>; binary: fc.Arbitrary<Frame> } {
  const roomish = fc.oneof(
    fc.constantFrom(room.key, other.key, '', 'x', 'A'.repeat(43), `${room.key.slice(0, 42)}=`, room.key.replace(/.$/, '/'), room.key.toLowerCase()),
    fc.string({ maxLength: 50 }),
    fc.anything(),
  );
  const number = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.maxSafeNat(),
    fc.constantFrom(-1, 0, 2 ** 53, 1e308, Number.MAX_SAFE_INTEGER),
    fc.string(),
    fc.constant(null),
  );
  const control = fc.record(
    {
      v: fc.oneof({ weight: 6, arbitrary: fc.constant(2) }, fc.constantFrom(0, 1, 3, '2', 2.5, null)),
      t: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('join', 'prove', 'leave', 'history', 'ping') },
        fc.constantFrom('retention', 'ack', 'hello', '__proto__', 'constructor', 'toString'),
        fc.string(),
        fc.anything(),
      ),
      room: roomish,
      mac: fc.oneof(fc.base64String(), fc.string(), fc.anything()),
      key: fc.oneof(fc.base64String({ minLength: 44, maxLength: 44 }), fc.anything()),
      after: number,
      limit: number,
      maxAgeMs: number,
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 80 }), fc.anything()),
      epoch: fc.oneof(fc.string({ maxLength: 80 }), fc.anything()),
    },
    { requiredKeys: [] },
  );
  const text = fc.oneof(
    { weight: 6, arbitrary: control.map((m) => JSON.stringify(m) ?? '') },
    fc.json({ maxDepth: 4 }),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ minLength: MAX_CONTROL_BYTES - 10, maxLength: MAX_CONTROL_BYTES + 200 }).map((s) => JSON.stringify({ v: 2, t: 'ping', id: s })),
  );
  const publish = fc
    .tuple(
      fc.oneof({ weight: 6, arbitrary: fc.constant(2) }, fc.nat(255)),
      fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 5) }, fc.nat(255)),
      fc.nat({ max: 0xffff_ffff }),
      fc.constantFrom(room.id, other.id, randomBytes(32)),
      fc.uint8Array({ maxLength: 300 }),
    )
    .map(([version, kind, id, roomId, envelope]) => {
      const frame = publishFrame(roomId, id, envelope);
      frame[0] = version;
      frame[1] = kind;
      return new Uint8Array(frame);
    });
  const binary = fc.oneof(
    { weight: 6, arbitrary: publish },
    fc.uint8Array({ maxLength: 100 }),
    publish.chain((frame) => fc.nat(frame.length).map((end) => frame.subarray(0, end))),
    fc.uint8Array({ minLength: MAX_FRAME_BYTES + 1, maxLength: MAX_FRAME_BYTES + 100 }),
  );
  const invalidUtf8 = fc.constantFrom(Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff])).map((b) => ({ invalidUtf8: b }));
  return {
    text: fc.oneof({ weight: 20, arbitrary: text.map((t) => ({ text: t })) }, { weight: 1, arbitrary: invalidUtf8 }),
    binary: binary.map((b) => ({ binary: b })),
  };
}

/** Every item since the last check is a protocol message; clears them. */
function checkReplies(client: TestClient): void {
  for (const item of client.inbox.splice(0)) {
    if ('raw' in item) throw new Error(`a binary frame no client may get: ${item.raw.toString('hex').slice(0, 80)}`);
    if (!('json' in item)) continue;
    const message: Json = item.json;
    expect(message.v).toBe(2);
    expect(REPLY_TYPES, `reply type ${String(message.t)}`).toContain(message.t);
    if (message.t === 'error') {
      expect(ERROR_CODES, `error code ${String(message.code)}`).toContain(message.code);
      expect(typeof message.message).toBe('string');
    }
  }
}

describe.each(['text', 'binary'] as const)('relay: every %s frame a client can send', (kind) => {
  const { start, track } = useRelays();

  it('is answered only with protocol messages, or closes with a protocol close code; the room still relays', { timeout: timeoutMs() }, async () => {
    const relay: RunningRelay = await start({
      limits: {
        maxFrameBytes: MAX_FRAME_BYTES,
        maxControlBytes: MAX_CONTROL_BYTES,
        messagesPerSecond: UNLIMITED,
        messageBurst: UNLIMITED,
        bytesPerSecond: UNLIMITED * MAX_FRAME_BYTES,
        byteBurst: UNLIMITED * MAX_FRAME_BYTES,
        maxConnectionsPerAddress: UNLIMITED,
      },
    });
    const room = newRoom();
    const other = newRoom();
    const connect = async (): Promise<TestClient> => {
      const client = await TestClient.connect(relay.wsUrl);
      expectJoined(await client.join(room));
      client.inbox.splice(0);
      return client;
    };
    let client = await connect();
    let closes = 0;

    await fc.assert(
      fc.asyncProperty(frames(room, other)[kind], async (frame) => {
        if ('text' in frame) client.ws.send(frame.text);
        else if ('binary' in frame) client.ws.send(frame.binary, { binary: true });
        else client.ws.send(frame.invalidUtf8, { binary: false });
        const outcome = await Promise.race([client.sync().then(() => 'alive' as const), client.closed]);
        if (outcome !== 'alive') {
          expect(CLOSES, `close code ${outcome.code}`).toContain(outcome.code);
          closes += 1;
          client = await connect();
          return;
        }
        checkReplies(client);
      }),
    );
    client.close();
    console.log(`relay ${kind} frames: ${closes} runs ended in a protocol close`);

    // The fuzzed room still relays byte-exact.
    const a = track(await TestClient.connect(relay.wsUrl));
    const b = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await a.join(room));
    expectJoined(await b.join(room));
    const envelope = randomBytes(1_000);
    const cursor = await a.publish(room, envelope);
    const got = await b.frame('deliver', room.key);
    expect(got.cursor).toBe(cursor);
    expect(got.envelope.equals(envelope)).toBe(true);
  });
});
