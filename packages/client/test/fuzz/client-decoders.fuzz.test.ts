/**
 * Fuzz targets for what the client reads from outside itself: relay frames and JSON control
 * messages (the relay is trusted with delivery only, PROTOCOL.md A), the application payloads
 * other members put inside envelopes (C.2), and its own sealed records read back from storage
 * (which a browser profile, an extension or a disk can change). Each decoder returns a value
 * or `undefined`, never throws; what it accepts is exactly what its bytes encode.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { openAtRest, sealAtRest, toBase64Url } from '@sealroom/protocol';
import { MAX_RECEIPT_IDS, decodePayload, encodePayload, type AppPayload } from '../../src/payloads.js';
import { createMemoryStorage } from '../../src/storage-memory.js';
import { Vault, type AtRestCipher } from '../../src/vault.js';
import {
  ACK_FRAME_BYTES,
  DELIVER_HEADER_BYTES,
  FRAME_ACK,
  FRAME_DELIVER,
  FRAME_HISTORY,
  WIRE_VERSION,
  decodeRelayFrame,
  parseServerMessage,
  type ServerMessage,
} from '../../src/wire.js';

const ROOM_ID_BYTES = 32;
const STORAGE_KEY_BYTES = 32;

// ---- byte and text mutations -----------------------------------------------------------------

type Edit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
);

function applyEdit(data: Uint8Array, e: Edit): Uint8Array {
  const at = e.at % (data.length + 1);
  switch (e.kind) {
    case 'flip': {
      if (data.length === 0) return new Uint8Array([1 << e.bit]);
      const out = data.slice();
      out[at % data.length]! ^= 1 << e.bit;
      return out;
    }
    case 'truncate':
      return data.slice(0, at);
    case 'insert':
      return Uint8Array.from([...data.subarray(0, at), ...e.bytes, ...data.subarray(at)]);
    case 'delete':
      return Uint8Array.from([...data.subarray(0, at), ...data.subarray(at + e.count)]);
  }
}

/** One of `samples()`, changed by one to three edits (possibly back to itself). */
function mutated(samples: () => readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.record({ pick: fc.nat(), edits: fc.array(edit, { minLength: 1, maxLength: 3 }) }).map(({ pick, edits }) => {
    const list = samples();
    return edits.reduce(applyEdit, list[pick % list.length]!);
  });
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

// ---- relay frames ----------------------------------------------------------------------------

const cursor = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

function envelopeFrame(kind: number, at: number, room: Uint8Array, envelope: Uint8Array): Uint8Array {
  return Uint8Array.from([WIRE_VERSION, kind, ...u64(at), ...room, ...envelope]);
}

function ackFrame(requestId: number, at: number): Uint8Array {
  const out = new Uint8Array(ACK_FRAME_BYTES);
  out.set([WIRE_VERSION, FRAME_ACK]);
  new DataView(out.buffer).setUint32(2, requestId);
  out.set(u64(at), 6);
  return out;
}

/** The bytes a decoded frame stands for: what the decoder accepted must encode back to its input. */
function encodeFrame(frame: NonNullable<ReturnType<typeof decodeRelayFrame>>): Uint8Array {
  if (frame.kind === 'ack') return ackFrame(frame.requestId, frame.cursor);
  const room = Uint8Array.from(Buffer.from(frame.room, 'base64url'));
  return envelopeFrame(frame.kind === 'deliver' ? FRAME_DELIVER : FRAME_HISTORY, frame.cursor, room, frame.envelope);
}

const frameSamples: Uint8Array[] = [
  ackFrame(7, 1),
  ackFrame(0xffff_ffff, Number.MAX_SAFE_INTEGER),
  envelopeFrame(FRAME_DELIVER, 3, new Uint8Array(ROOM_ID_BYTES).fill(0x11), utf8('an envelope')),
  envelopeFrame(FRAME_HISTORY, 2 ** 40, new Uint8Array(ROOM_ID_BYTES).fill(0xfe), new Uint8Array(300).fill(7)),
];

describe('decodeRelayFrame', () => {
  it('reads every DELIVER, HISTORY and ACK the relay writes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .tuple(
              fc.constantFrom(FRAME_DELIVER, FRAME_HISTORY),
              cursor,
              fc.uint8Array({ minLength: ROOM_ID_BYTES, maxLength: ROOM_ID_BYTES }),
              fc.uint8Array({ minLength: 1, maxLength: 500 }),
            )
            .map((f) => envelopeFrame(...f)),
          fc.tuple(fc.nat({ max: 0xffff_ffff }), cursor).map(([id, at]) => ackFrame(id, at)),
        ),
        (frame) => {
          const decoded = decodeRelayFrame(frame);
          expect(decoded).toBeDefined();
          expect(Buffer.from(encodeFrame(decoded!)).equals(Buffer.from(frame))).toBe(true);
        },
      ),
    );
  });

  it('is total on random and mutated bytes, and accepts only what encodes back to them', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 120 }),
          mutated(() => frameSamples),
        ),
        (bytes) => {
          const decoded = decodeRelayFrame(bytes);
          if (decoded === undefined) return;
          expect(bytes.length).toBeGreaterThanOrEqual(decoded.kind === 'ack' ? ACK_FRAME_BYTES : DELIVER_HEADER_BYTES + 1);
          expect(Buffer.from(encodeFrame(decoded)).equals(Buffer.from(bytes))).toBe(true);
        },
      ),
    );
  });
});

// ---- relay JSON messages ---------------------------------------------------------------------

const ROOM = toBase64Url(new Uint8Array(ROOM_ID_BYTES).fill(0x33));
const messageSamples = [
  { v: 2, t: 'hello', limits: { maxFrameBytes: 1_048_576, maxEnvelopeBytes: 1_048_538, maxRoomsPerConnection: 16 } },
  { v: 2, t: 'challenge', room: ROOM, nonce: toBase64Url(new Uint8Array(32).fill(9)), registered: true },
  { v: 2, t: 'joined', room: ROOM, head: 12, epoch: 'mZ3-abc_1' },
  { v: 2, t: 'gap', room: ROOM, after: 3, upTo: 9 },
  { v: 2, t: 'history-end', room: ROOM, head: 12, more: false },
  { v: 2, t: 'left', room: ROOM },
  { v: 2, t: 'pong', id: 4 },
  { v: 2, t: 'error', code: 'NOT_JOINED', message: 'publish to a room this connection has not joined', room: ROOM, id: 7 },
].map((m) => JSON.stringify(m));

/** A parsed message is one of the union, with every field of the type its `t` says. */
function checkMessage(message: ServerMessage): void {
  const isRoom = (room: unknown) =>
    typeof room === 'string' && Buffer.from(room, 'base64url').length === ROOM_ID_BYTES && Buffer.from(room, 'base64url').toString('base64url') === room;
  const isCursor = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
  switch (message.t) {
    case 'hello':
      for (const value of Object.values(message.limits)) expect(value === undefined || (Number.isSafeInteger(value) && value > 0)).toBe(true);
      return;
    case 'challenge':
      expect(isRoom(message.room)).toBe(true);
      expect(message.nonce).toBeInstanceOf(Uint8Array);
      return;
    case 'joined':
      expect(isRoom(message.room) && isCursor(message.head) && /^[A-Za-z0-9_-]{1,64}$/.test(message.epoch)).toBe(true);
      return;
    case 'gap':
      expect(isRoom(message.room) && isCursor(message.after) && isCursor(message.upTo)).toBe(true);
      return;
    case 'history-end':
      expect(isRoom(message.room) && isCursor(message.head) && typeof message.more === 'boolean').toBe(true);
      return;
    case 'left':
      expect(isRoom(message.room)).toBe(true);
      return;
    case 'pong':
      return;
    case 'error':
      expect(typeof message.code).toBe('string');
      expect(typeof message.message).toBe('string');
      expect(message.room === undefined || isRoom(message.room)).toBe(true);
      expect(message.id === undefined || Number.isSafeInteger(message.id)).toBe(true);
      return;
  }
}

describe('parseServerMessage', () => {
  it('reads every sample', () => {
    for (const sample of messageSamples) expect(parseServerMessage(sample), sample).toBeDefined();
  });

  it('is total on any text, JSON and mutated relay messages; what it returns is well-typed', () => {
    const field = fc.oneof(fc.constant(ROOM), fc.string({ maxLength: 60 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.anything());
    const shaped = fc
      .record(
        {
          v: fc.oneof(fc.constant(2), fc.constantFrom(1, 3, '2')),
          t: fc.oneof(fc.constantFrom('hello', 'challenge', 'joined', 'gap', 'history-end', 'left', 'pong', 'error', '__proto__'), fc.string()),
          room: field,
          nonce: fc.oneof(fc.base64String(), field),
          registered: field,
          head: field,
          epoch: field,
          after: field,
          upTo: field,
          more: field,
          id: field,
          code: fc.oneof(fc.constantFrom('NOT_JOINED', 'RATE_LIMITED', 'hasOwnProperty', '__proto__'), field),
          message: field,
          limits: fc.oneof(fc.record({ maxFrameBytes: field, maxEnvelopeBytes: field, maxRoomsPerConnection: field }, { requiredKeys: [] }), field),
        },
        { requiredKeys: ['v', 't'] },
      )
      .map((m) => JSON.stringify(m) ?? '');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.json(), shaped, mutated(() => messageSamples.map(utf8)).map(text)), (input) => {
        const message = parseServerMessage(input);
        if (message !== undefined) checkMessage(message);
      }),
    );
  });
});

// ---- application payloads --------------------------------------------------------------------

const APP_ID = toBase64Url(new Uint8Array(16).fill(5));
const MEMBER_ID = toBase64Url(new Uint8Array(32).fill(6));
const payloadSamples: AppPayload[] = [
  { t: 'text', id: APP_ID, ts: 1_700_000_000_000, body: 'hello 👋', mentions: [MEMBER_ID] },
  { t: 'presence', ts: 5, state: 'online' },
  { t: 'file-offer', id: APP_ID, ts: 9, file: APP_ID, name: 'cat.png', size: 1000, mime: 'image/png', sha256: 'ab'.repeat(32), chunkBytes: 256, chunks: 4 },
  { t: 'file-accept', ts: 1, file: APP_ID },
  { t: 'file-progress', ts: 1, file: APP_ID, next: 3 },
  { t: 'file-cancel', ts: 1, file: APP_ID, code: 'ABORTED' },
  {
    t: 'file-resend',
    ts: 1,
    file: APP_ID,
    ranges: [
      [0, 2],
      [5, 9],
    ],
  },
  { t: 'key-request', ts: 2 },
  { t: 'text', id: APP_ID, ts: 3, body: 'yes', mentions: [], reply: { by: MEMBER_ID, id: APP_ID } },
  { t: 'edit', id: APP_ID, ts: 4, ref: { by: MEMBER_ID, id: APP_ID }, body: 'fixed', mentions: [MEMBER_ID] },
  { t: 'delete', id: APP_ID, ts: 5, ref: { by: MEMBER_ID, id: APP_ID } },
  { t: 'react', id: APP_ID, ts: 6, ref: { by: MEMBER_ID, id: APP_ID }, emoji: '👍🏽', on: true },
  { t: 'receipt', ts: 3, d: [APP_ID, toBase64Url(new Uint8Array(16).fill(8))], r: [toBase64Url(new Uint8Array(16).fill(9))] },
];

describe('decodePayload', () => {
  it('round-trips every sample', () => {
    for (const payload of payloadSamples) expect(decodePayload(encodePayload(payload))).toEqual(payload);
  });

  it('is total on any bytes and mutated payloads; what it returns encodes and decodes to itself', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.json().map(utf8),
          mutated(() => payloadSamples.map(encodePayload)),
        ),
        (bytes) => {
          const payload = decodePayload(bytes);
          if (payload !== undefined) expect(decodePayload(encodePayload(payload))).toEqual(payload);
        },
      ),
    );
  });
});

describe('decodePayload: receipts', () => {
  it('accepts only bounded lists of 16-byte ids, never more than MAX_RECEIPT_IDS in a list', () => {
    const id = fc.uint8Array({ minLength: 15, maxLength: 17 }).map(toBase64Url);
    const list = fc.oneof(
      fc.array(id, { maxLength: 8 }),
      fc.array(fc.constant(APP_ID), { minLength: MAX_RECEIPT_IDS - 1, maxLength: MAX_RECEIPT_IDS + 1 }),
      fc.anything(),
    );
    fc.assert(
      fc.property(
        fc.record(
          { v: fc.constantFrom(1, 2), t: fc.constant('receipt'), ts: fc.oneof(fc.nat(), fc.integer()), d: list, r: list },
          { requiredKeys: ['v', 't', 'ts'] },
        ),
        (m) => {
          const payload = decodePayload(utf8(JSON.stringify(m)));
          if (payload === undefined) return;
          expect(payload.t).toBe('receipt');
          if (payload.t !== 'receipt') return;
          for (const ids of [payload.d, payload.r]) {
            expect(ids.length).toBeLessThanOrEqual(MAX_RECEIPT_IDS);
            for (const x of ids) expect(Buffer.from(x, 'base64url').length).toBe(16);
          }
          expect(payload.d.length + payload.r.length).toBeGreaterThan(0);
        },
      ),
    );
  });
});

// ---- sealed records in storage ---------------------------------------------------------------

describe('Vault (sealed records read back from storage)', () => {
  const KEYS = ['identity-index', 'room:abc', 'tl:abc:0000000001'];
  let cipher: AtRestCipher;

  beforeAll(async () => {
    const storageKey = await crypto.subtle.importKey('raw', new Uint8Array(STORAGE_KEY_BYTES).fill(0x24), 'AES-GCM', false, ['encrypt', 'decrypt']);
    cipher = {
      seal: (plaintext, context) => sealAtRest(storageKey, context, plaintext),
      open: async (sealed, context) => {
        const opened = await openAtRest(storageKey, context, sealed);
        return opened.ok ? opened.plaintext : undefined;
      },
    };
  });

  it('gives back any JSON value it stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.constantFrom(...KEYS), async (value, key) => {
        const vault = new Vault(createMemoryStorage(), cipher);
        await vault.set(key, value);
        expect(await vault.get(key)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('reads a changed, swapped or foreign record as absent, never as a value and never by throwing', async () => {
    const sealed: Uint8Array[] = [];
    for (const key of KEYS) sealed.push(await cipher.seal(utf8(JSON.stringify({ key, rooms: ['a', 'b'] })), key));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutated(() => sealed),
          fc.uint8Array({ maxLength: 100 }),
        ),
        fc.nat(KEYS.length - 1),
        async (bytes, index) => {
          const storage = createMemoryStorage();
          const key = KEYS[index]!;
          await storage.set(key, bytes);
          const vault = new Vault(storage, cipher);
          const value = await vault.get(key);
          // Only the untouched record under its own key opens (a mutation can cancel itself out).
          const genuine = Buffer.from(bytes).equals(Buffer.from(sealed[index]!));
          if (genuine) expect(value).toEqual({ key, rooms: ['a', 'b'] });
          else expect(value).toBeUndefined();
        },
      ),
    );
  });
});
