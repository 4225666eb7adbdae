import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '../src/index.js';
import { Bystanders, expectJoined, newRoom, publishFrame, TestClient } from './helpers/client.js';
import { useRelays } from './helpers/relay.js';

describe('malformed input', () => {
  const { start, track } = useRelays();

  it('answers each kind of bad text frame with its error code and keeps the connection', async () => {
    const relay = await start();
    const bystanders = track(await Bystanders.start(relay.wsUrl));
    const client = track(await TestClient.connect(relay.wsUrl));
    const room = newRoom();
    const cases: [unknown, string][] = [
      ['{not json', ErrorCode.BAD_JSON],
      ['', ErrorCode.BAD_JSON],
      ['[1,2,3]', ErrorCode.BAD_JSON],
      ['"join"', ErrorCode.BAD_JSON],
      ['null', ErrorCode.BAD_JSON],
      [{ t: 'join', room: room.key }, ErrorCode.BAD_MESSAGE],
      [{ v: '1', t: 'join', room: room.key }, ErrorCode.BAD_MESSAGE],
      // Version 1 is not spoken any more: its messages are refused, not half understood.
      [{ v: 1, t: 'join', room: room.key }, ErrorCode.UNSUPPORTED_VERSION],
      [{ v: 1, t: 'ping' }, ErrorCode.UNSUPPORTED_VERSION],
      [{ v: 3, t: 'join', room: room.key }, ErrorCode.UNSUPPORTED_VERSION],
      [{ v: 0, t: 'ping' }, ErrorCode.UNSUPPORTED_VERSION],
      // Version 1's retention request is gone: retention is fixed at registration.
      [{ v: 2, t: 'retention', room: room.key, maxAgeMs: 1 }, ErrorCode.UNKNOWN_TYPE],
      // Relay-to-client types are not requests.
      [{ v: 2, t: 'ack', room: room.key, id: 1, cursor: 1 }, ErrorCode.UNKNOWN_TYPE],
      [{ v: 2, t: 'teleport' }, ErrorCode.UNKNOWN_TYPE],
      [{ v: 2, t: '__proto__' }, ErrorCode.UNKNOWN_TYPE],
      [{ v: 2 }, ErrorCode.BAD_MESSAGE],
      [{ v: 2, t: 42 }, ErrorCode.BAD_MESSAGE],
      [{ v: 2, t: 'join' }, ErrorCode.BAD_ROOM],
      [{ v: 2, t: 'join', room: 12 }, ErrorCode.BAD_ROOM],
      [{ v: 2, t: 'join', room: 'short' }, ErrorCode.BAD_ROOM],
      [{ v: 2, t: 'join', room: `${room.key.slice(0, 42)}=` }, ErrorCode.BAD_ROOM],
      [{ v: 2, t: 'join', room: room.key.replace(/.$/, '/') }, ErrorCode.BAD_ROOM],
      [{ v: 2, t: 'prove', room: room.key, mac: 'x' }, ErrorCode.NO_CHALLENGE],
      [{ v: 2, t: 'history', room: room.key, after: 0 }, ErrorCode.NOT_JOINED],
      [{ v: 2, t: 'ping', id: { nested: true } }, ErrorCode.BAD_MESSAGE],
    ];
    for (const [message, code] of cases) {
      client.send(message);
      await client.error(code);
    }
    // A prove with a malformed mac spends the nonce and is BAD_MESSAGE.
    client.send({ v: 2, t: 'join', room: room.key });
    await client.json('challenge');
    client.send({ v: 2, t: 'prove', room: room.key, mac: 'AAAA' });
    await client.error(ErrorCode.BAD_MESSAGE);
    expectJoined(await client.join(room));
    await bystanders.exchange();
  });

  it('answers bad binary frames with BAD_FRAME or UNSUPPORTED_VERSION', async () => {
    const relay = await start();
    const client = track(await TestClient.connect(relay.wsUrl));
    const room = newRoom();
    expectJoined(await client.join(room));
    const cases: [Buffer, string][] = [
      [Buffer.alloc(0), ErrorCode.BAD_FRAME],
      [Buffer.from([2]), ErrorCode.BAD_FRAME],
      // A version 1 PUBLISH, whole: refused for its version, not read as version 2.
      [Buffer.from([1, 1, ...publishFrame(room.id, 1, new Uint8Array([7])).subarray(2)]), ErrorCode.UNSUPPORTED_VERSION],
      [Buffer.from([3, 1]), ErrorCode.UNSUPPORTED_VERSION],
      // DELIVER, HISTORY and ACK go from the relay to clients only; kinds past PUBLISH_PINNED do not exist.
      [Buffer.from([2, 2, ...randomBytes(60)]), ErrorCode.BAD_FRAME],
      [Buffer.from([2, 3, ...randomBytes(60)]), ErrorCode.BAD_FRAME],
      [Buffer.from([2, 4, ...randomBytes(60)]), ErrorCode.BAD_FRAME],
      [Buffer.from([2, 6, ...randomBytes(60)]), ErrorCode.BAD_FRAME],
      [Buffer.from([2, 9, ...randomBytes(60)]), ErrorCode.BAD_FRAME],
      // A PUBLISH header with no envelope.
      [publishFrame(room.id, 1, new Uint8Array(0)), ErrorCode.BAD_FRAME],
      [publishFrame(room.id, 1, new Uint8Array(0)).subarray(0, 20), ErrorCode.BAD_FRAME],
      [publishFrame(room.id, 1, new Uint8Array(0), { pinned: true }), ErrorCode.BAD_FRAME],
    ];
    for (const [frame, code] of cases) {
      client.sendBinary(frame);
      await client.error(code);
    }
    await client.publish(room, Buffer.from([0]));
  });

  it('closes on invalid UTF-8 in a text frame (1007) without disturbing others', async () => {
    const relay = await start();
    const bystanders = track(await Bystanders.start(relay.wsUrl));
    const client = track(await TestClient.connect(relay.wsUrl));
    client.ws.send(Buffer.from([0xff, 0xfe, 0xfd]), { binary: false });
    expect((await client.closed).code).toBe(CloseCode.INVALID_PAYLOAD);
    await bystanders.exchange();
  });

  it('survives random frames of every shape, then still relays correctly (property)', async () => {
    const relay = await start({ limits: { maxFrameBytes: 4096, messagesPerSecond: 100_000, messageBurst: 100_000 } });
    const bystanders = track(await Bystanders.start(relay.wsUrl));
    const room = newRoom();
    const roomIds = [room.id, newRoom().id];
    const keyish = fc.constantFrom(room.key, 'x', '', 'A'.repeat(43), room.key.toLowerCase());
    const jsonFrame = fc.record(
      {
        v: fc.oneof(fc.constant(2), fc.constant(1), fc.integer(), fc.string(), fc.constant(null)),
        t: fc.oneof(fc.constantFrom('join', 'prove', 'leave', 'history', 'retention', 'ping', 'ack', 'hello'), fc.string()),
        room: fc.oneof(keyish, fc.anything()),
        mac: fc.oneof(fc.base64String(), fc.anything()),
        key: fc.oneof(fc.base64String(), fc.anything()),
        after: fc.oneof(fc.integer(), fc.double(), fc.anything()),
        limit: fc.oneof(fc.integer(), fc.anything()),
        maxAgeMs: fc.oneof(fc.integer(), fc.anything()),
        id: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const text = fc.oneof(
      jsonFrame.map((m) => JSON.stringify(m)),
      fc.json(),
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    const binary = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 6 }), fc.constantFrom(...roomIds), fc.uint8Array({ maxLength: 200 }))
        .map(([version, kind, id, body]) => {
          const frame = publishFrame(id, 7, body);
          frame[0] = version;
          frame[1] = kind;
          return new Uint8Array(frame);
        }),
      fc.uint8Array({ minLength: 4097, maxLength: 5000 }),
    );
    const frame = fc.oneof(
      text.map((t) => ({ text: t })),
      binary.map((b) => ({ binary: b })),
    );

    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 30 }), async (frames) => {
        runs += 1;
        const fuzzer = await TestClient.connect(relay.wsUrl);
        try {
          if (runs % 2 === 0) expectJoined(await fuzzer.join(room));
          for (const f of frames) {
            if (fuzzer.ws.readyState !== fuzzer.ws.OPEN) break;
            if ('text' in f) fuzzer.ws.send(f.text);
            else fuzzer.ws.send(f.binary, { binary: true });
          }
          // Either the relay still answers this connection, or it closed it with a
          // protocol close code; never anything else.
          if (fuzzer.ws.readyState === fuzzer.ws.OPEN) {
            const outcome = await Promise.race([fuzzer.sync().then(() => 'alive'), fuzzer.closed.then((c) => c.code)]);
            if (outcome !== 'alive') expect([CloseCode.MESSAGE_TOO_BIG, CloseCode.INVALID_PAYLOAD, CloseCode.PROTOCOL_ERROR]).toContain(outcome);
          } else {
            expect([CloseCode.MESSAGE_TOO_BIG, CloseCode.INVALID_PAYLOAD, CloseCode.PROTOCOL_ERROR]).toContain((await fuzzer.closed).code);
          }
        } finally {
          fuzzer.close();
        }
        await bystanders.exchange();
      }),
      { numRuns: 60 },
    );
    // And a fresh pair in the fuzzed room still relays byte-exact.
    const a = track(await TestClient.connect(relay.wsUrl));
    const b = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await a.join(room));
    expectJoined(await b.join(room));
    const envelope = randomBytes(1000);
    const cursor = await a.publish(room, envelope);
    const got = await b.frame('deliver', room.key);
    expect(got.cursor).toBe(cursor);
    expect(got.envelope.equals(envelope)).toBe(true);
  });
});
