import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, RefusalReason } from '../src/index.js';
import { Bystanders, expectJoined, newRoom, publishFrame, TestClient } from './helpers/client.js';
import { rawRequest, refusals, statusOf, upgradeRequest } from './helpers/http.js';
import { useRelays } from './helpers/relay.js';
import { KIB } from '@sealroom/units';

/**
 * Each limit is triggered on purpose while two clients in another room keep exchanging
 * envelopes: before, during and after, they lose nothing.
 */
describe('limits', () => {
  const { start, track } = useRelays();

  async function withBystanders(options: Parameters<typeof start>[0]) {
    const relay = await start(options);
    const bystanders = track(await Bystanders.start(relay.wsUrl));
    await bystanders.exchange();
    return { relay, bystanders };
  }

  it('closes a connection that sends a frame over maxFrameBytes with 1009', async () => {
    const { relay, bystanders } = await withBystanders({ limits: { maxFrameBytes: 64 * KIB } });
    const room = newRoom();
    const attacker = track(await TestClient.connect(relay.wsUrl));
    expect(attacker.hello?.limits).toMatchObject({ maxFrameBytes: 64 * KIB, maxEnvelopeBytes: 64 * KIB - 38 });
    expectJoined(await attacker.join(room));
    // The largest allowed envelope passes.
    await attacker.publish(room, randomBytes(64 * KIB - 38));
    attacker.sendBinary(publishFrame(room.id, 1, randomBytes(64 * KIB - 37)));
    expect((await attacker.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    await bystanders.exchange();
    expect(await refusals(relay.url, RefusalReason.FRAME_TOO_LARGE)).toBe(1);
  });

  it('closes a connection that splits one message into more fragments than ws allows with 1008', async () => {
    const { relay, bystanders } = await withBystanders({});
    const attacker = track(await TestClient.connect(relay.wsUrl));
    // ws's server default maxFragments: 16,384 fragments of one message.
    const fragments = 16 * 1024 + 1;
    for (let i = 0; i < fragments && attacker.ws.readyState === attacker.ws.OPEN; i += 1) attacker.ws.send(Buffer.from([0]), { binary: true, fin: false });
    expect((await attacker.closed).code).toBe(CloseCode.POLICY_VIOLATION);
    await bystanders.exchange();
    expect(await refusals(relay.url, RefusalReason.TOO_MANY_FRAGMENTS)).toBe(1);
  });

  it('refuses text frames over maxControlBytes without closing', async () => {
    const { relay, bystanders } = await withBystanders({ limits: { maxControlBytes: 512 } });
    const attacker = track(await TestClient.connect(relay.wsUrl));
    attacker.send({ v: 2, t: 'ping', id: 'x'.repeat(600) });
    await attacker.error(ErrorCode.MESSAGE_TOO_LARGE);
    await attacker.sync();
    await bystanders.exchange();
  });

  it('rate-limits messages per connection with RATE_LIMITED and keeps the connection', async () => {
    const { relay, bystanders } = await withBystanders({ limits: { messagesPerSecond: 2, messageBurst: 10 } });
    const attacker = track(await TestClient.connect(relay.wsUrl));
    const room = newRoom();
    expectJoined(await attacker.join(room));
    for (let i = 0; i < 40; i++) attacker.send({ v: 2, t: 'history', room: room.key, after: 0 });
    // The refusal names the room of the refused request, so the client can ask again.
    expect(await attacker.error(ErrorCode.RATE_LIMITED)).toMatchObject({ room: room.key });
    for (let i = 0; i < 40; i++) attacker.send({ v: 2, t: 'ping', id: i });
    await bystanders.exchange();
    await attacker.json('error', (m) => m.code === ErrorCode.RATE_LIMITED && m.room === undefined);
    // At most the burst (10, of which join and prove took 2) plus what refilled
    // meanwhile got through; the other 80 were refused, each with an error.
    const answered = attacker.inbox.filter((i) => 'json' in i && (i.json.t === 'pong' || i.json.t === 'history-end')).length;
    expect(answered).toBeGreaterThanOrEqual(8);
    expect(answered).toBeLessThan(40);
    expect(attacker.ws.readyState).toBe(attacker.ws.OPEN);
    expect(await refusals(relay.url, ErrorCode.RATE_LIMITED)).toBeGreaterThan(0);
  });

  it('rate-limits bytes per connection; a refused publish names its request id and is not delivered', async () => {
    const { relay, bystanders } = await withBystanders({ limits: { maxFrameBytes: 16 * KIB, bytesPerSecond: 1 * KIB, byteBurst: 40 * KIB } });
    const room = newRoom();
    const attacker = track(await TestClient.connect(relay.wsUrl));
    const listener = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await attacker.join(room));
    expectJoined(await listener.join(room));
    for (let id = 1; id <= 6; id++) attacker.sendBinary(publishFrame(room.id, id, randomBytes(10 * KIB)));
    const refused = await attacker.error(ErrorCode.RATE_LIMITED);
    expect(refused.id).toBeGreaterThanOrEqual(4);
    expect(refused.room).toBe(room.key);
    // Every publish is answered (ack or refusal); with a Redis store the acks can come
    // after a ping's pong, so wait for all six answers rather than for a sync.
    const errors = (): number => attacker.inbox.filter((i) => 'json' in i && i.json.t === 'error').length;
    await expect.poll(() => attacker.acks().length + errors()).toBe(5);
    const acked = attacker.acks().length;
    expect(acked).toBeLessThan(6);
    await listener.sync();
    expect(listener.frames()).toHaveLength(acked);
    await bystanders.exchange();
  });

  it('refuses joining more than maxRoomsPerConnection rooms with ROOM_LIMIT', async () => {
    const { relay, bystanders } = await withBystanders({ limits: { maxRoomsPerConnection: 2 } });
    const attacker = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await attacker.join(newRoom()));
    expectJoined(await attacker.join(newRoom()));
    const third = newRoom();
    attacker.send({ v: 2, t: 'join', room: third.key });
    expect(await attacker.error(ErrorCode.ROOM_LIMIT)).toMatchObject({ room: third.key });
    await bystanders.exchange();
  });

  it('refuses connections past maxConnectionsPerAddress with HTTP 429, and accepts again once one closes', async () => {
    const { relay, bystanders } = await withBystanders({ limits: { maxConnectionsPerAddress: 4 } });
    const extra = [track(await TestClient.connect(relay.wsUrl)), track(await TestClient.connect(relay.wsUrl))];
    await expect(TestClient.connect(relay.wsUrl)).rejects.toThrow(/429/);
    await bystanders.exchange();
    extra[0]!.ws.close();
    await extra[0]!.closed;
    await expect.poll(() => relay.health().connections).toBe(3);
    track(await TestClient.connect(relay.wsUrl));
    expect(await refusals(relay.url, RefusalReason.TOO_MANY_CONNECTIONS)).toBe(1);
  });

  it('cuts off a slow consumer whose bufferedAmount passes maxBufferedBytes; the sender goes on', async () => {
    const { relay, bystanders } = await withBystanders({ limits: { maxBufferedBytes: 256 * KIB } });
    const room = newRoom();
    const sender = track(await TestClient.connect(relay.wsUrl));
    const fast = track(await TestClient.connect(relay.wsUrl));
    const slow = track(await TestClient.connect(relay.wsUrl));
    for (const client of [sender, fast, slow]) expectJoined(await client.join(room));
    // Stop reading: the kernel buffers fill, then the relay's queue grows.
    const slowSocket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    slowSocket.pause();
    const envelope = randomBytes(60 * KIB);
    let sent = 0;
    while ((await refusals(relay.url, RefusalReason.SLOW_CONSUMER)) === 0) {
      for (let i = 0; i < 20; i++) {
        await sender.publish(room, envelope);
        sent += 1;
      }
      if (sent > 2000) throw new Error('slow consumer never cut off');
    }
    // The fast member got every envelope; the sender was never refused.
    for (let i = 0; i < sent; i++) expect((await fast.frame('deliver', room.key)).envelope.equals(envelope)).toBe(true);
    slowSocket.resume();
    expect((await slow.closed).code).toBe(1006);
    await bystanders.exchange();
    await expect.poll(() => relay.health().connections).toBe(4);
  });

  it('cuts off a client that floods bad frames without reading its errors', async () => {
    const { relay, bystanders } = await withBystanders({ limits: { maxBufferedBytes: 64 * KIB } });
    const flooder = track(await TestClient.connect(relay.wsUrl));
    const socket = (flooder.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    let batches = 0;
    while ((await refusals(relay.url, RefusalReason.SLOW_CONSUMER)) === 0) {
      for (let i = 0; i < 5000 && flooder.ws.readyState === flooder.ws.OPEN; i++) flooder.ws.send('{');
      await new Promise((resolve) => setImmediate(resolve));
      if (++batches > 200) throw new Error('flooder never cut off');
    }
    socket.resume();
    expect((await flooder.closed).code).toBe(1006);
    await bystanders.exchange();
  });

  it('closes a connection that joins no room within handshakeTimeoutMs with 4001', async () => {
    const { relay, bystanders } = await withBystanders({ limits: { handshakeTimeoutMs: 200 } });
    const idle = track(await TestClient.connect(relay.wsUrl));
    expect(await idle.closed).toEqual({ code: CloseCode.HANDSHAKE_TIMEOUT, reason: 'handshake timeout' });
    // The bystanders were admitted long before and are not affected.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await bystanders.exchange();
    expect(await refusals(relay.url, RefusalReason.HANDSHAKE_TIMEOUT)).toBe(1);
  });

  it('answers 431 to requests with too many or too large headers', async () => {
    const { relay, bystanders } = await withBystanders({ limits: { maxHeaderCount: 50, maxHeaderBytes: 8 * KIB } });
    const many = Array.from({ length: 60 }, (_, i) => `X-Filler-${i}: ${i}`);
    expect(statusOf(await rawRequest(relay.port, upgradeRequest(relay.port, many)))).toBe(431);
    expect(statusOf(await rawRequest(relay.port, `GET /healthz HTTP/1.1\r\nHost: x\r\n${many.join('\r\n')}\r\n\r\n`))).toBe(431);
    expect(statusOf(await rawRequest(relay.port, upgradeRequest(relay.port, [`X-Big: ${'a'.repeat(9 * KIB)}`])))).toBe(431);
    await bystanders.exchange();
    expect(await refusals(relay.url, RefusalReason.TOO_MANY_HEADERS)).toBe(2);
    expect(await refusals(relay.url, RefusalReason.HEADERS_TOO_LARGE)).toBe(1);
  });

  it('allows its own origin and localhost by default, refuses others with 403', async () => {
    const { relay, bystanders } = await withBystanders({});
    for (const origin of [relay.url, 'http://localhost:5173', 'http://127.0.0.1:9999']) {
      track(await TestClient.connect(relay.wsUrl, { origin }));
    }
    for (const origin of ['https://evil.example', 'null', 'http://localhost.evil.example']) {
      await expect(TestClient.connect(relay.wsUrl, { origin })).rejects.toThrow(/403/);
    }
    await bystanders.exchange();
    expect(await refusals(relay.url, RefusalReason.ORIGIN_FORBIDDEN)).toBe(3);
  });

  it('with an explicit allow-list, accepts only those origins and its own', async () => {
    const relay = await start({ allowedOrigins: ['https://chat.example.org'] });
    track(await TestClient.connect(relay.wsUrl, { origin: 'https://chat.example.org' }));
    track(await TestClient.connect(relay.wsUrl, { origin: relay.url }));
    await expect(TestClient.connect(relay.wsUrl, { origin: 'http://localhost:5173' })).rejects.toThrow(/403/);
  });

  it('answers upgrades on other paths with 404', async () => {
    const relay = await start();
    expect(statusOf(await rawRequest(relay.port, upgradeRequest(relay.port, [], '/other')))).toBe(404);
    expect(statusOf(await rawRequest(relay.port, upgradeRequest(relay.port, ['Sec-WebSocket-Version: 99'])))).toBe(400);
  });
});
