/**
 * Issue 14 point 3: a `join` or PUBLISH the relay refuses with UNAVAILABLE (its store is
 * down) is retried with backoff while the socket stays open, the connection says it is
 * reconnecting meanwhile, and the room recovers by itself once the store is back. The
 * backoff runs on an injected clock: the test moves time instead of sleeping through it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MemoryRoomStore, startRelay, type RoomKey } from '@sealroom/relay';
import { randomBytes } from '@sealroom/protocol';
import type { ConnectionState, WebSocketConstructor } from '../src/index.js';
import { RelayConnection } from '../src/transport.js';
import { skippableClock } from './helpers.js';
import { RecordingBinding } from './recording-binding.js';

/** A store whose every operation can be made to fail, as Redis does while it is down. */
class FlakyStore extends MemoryRoomStore {
  down = false;
  refusals = 0;

  private check(): void {
    if (!this.down) return;
    this.refusals += 1;
    throw new Error('store down');
  }

  override async admissionKey(room: RoomKey): Promise<Uint8Array | undefined> {
    this.check();
    return super.admissionKey(room);
  }

  override async append(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<number> {
    this.check();
    return super.append(room, envelope, nowMs);
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('transport: retries while the relay’s store is unavailable', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setup() {
    const store = new FlakyStore();
    const relay = await startRelay({ port: 0, logLevel: 'silent', store });
    cleanup.push(() => relay.close());
    const clock = skippableClock();
    const states: ConnectionState[] = [];
    const connect = () => {
      const connection = new RelayConnection({
        url: relay.wsUrl,
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        clock,
        baseDelayMs: 1_000,
        maxDelayMs: 8_000,
        onState: (state) => states.push(state),
        onRelayError() {},
      });
      cleanup.push(() => connection.close());
      return connection;
    };
    return { store, relay, clock, states, connect };
  }

  it('retries a join refused with UNAVAILABLE and recovers when the store is back', async () => {
    const { store, clock, states, connect } = await setup();
    const connection = connect();
    const binding = new RecordingBinding(randomBytes(32), randomBytes(32));
    store.down = true;
    connection.addRoom(binding);
    await until('the join refused', () => store.refusals >= 1);
    await until('reconnecting reported', () => states.at(-1) === 'reconnecting');
    // Retries keep failing while the store is down, the socket stays open.
    clock.advance(60_000);
    await until('a retry refused', () => store.refusals >= 2);
    expect(connection.isReady(binding.roomId)).toBe(false);
    expect(binding.errors).toEqual([]);

    store.down = false;
    clock.advance(60_000);
    await until('ready', () => connection.isReady(binding.roomId));
    expect(binding.ready).toBe(true);
    expect(states.at(-1)).toBe('open');
    expect(states.filter((s) => s === 'connecting')).toHaveLength(1);
  });

  it('retries a PUBLISH refused with UNAVAILABLE: acknowledged once the store is back, delivered once', async () => {
    const { store, clock, states, connect } = await setup();
    const roomBytes = randomBytes(32);
    const key = randomBytes(32);
    const sender = new RecordingBinding(roomBytes, key);
    const reader = new RecordingBinding(roomBytes, key);
    const a = connect();
    const b = connect();
    a.addRoom(sender);
    b.addRoom(reader);
    await until('both ready', () => a.isReady(sender.roomId) && b.isReady(reader.roomId));

    store.down = true;
    const sent = a.publish(sender.roomId, new TextEncoder().encode('during the outage'));
    await until('the publish refused', () => store.refusals >= 1);
    await until('the room not ready', () => !a.isReady(sender.roomId));
    expect(sender.ready).toBe(false);
    expect(states.at(-1)).toBe('reconnecting');

    store.down = false;
    clock.advance(60_000);
    expect(await sent).toBe(1);
    await until('delivered', () => reader.texts().length === 1);
    expect(reader.texts()).toEqual(['during the outage']);
    await until('ready again', () => a.isReady(sender.roomId) && sender.ready);
    expect(states.at(-1)).toBe('open');
  });
});

describe('transport: catch-up paced by the relay’s budget (HISTORY_LIMITED)', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('waits the retryAfterMs the relay names, then catches up everything, without showing the room disconnected', async () => {
    // About two envelopes per answer and four per second: ten envelopes need several refusals.
    const envelopeBytes = 1_000;
    const relay = await startRelay({
      port: 0,
      logLevel: 'silent',
      limits: {
        historyBytesPerSecond: 4 * envelopeBytes,
        historyByteBurst: 2 * envelopeBytes,
        historyBytesPerSecondPerAddress: 4 * envelopeBytes,
        historyByteBurstPerAddress: 2 * envelopeBytes,
      },
    });
    cleanup.push(() => relay.close());
    const clock = skippableClock();
    const states: ConnectionState[] = [];
    const connect = (onState: (state: ConnectionState) => void = () => {}) => {
      const connection = new RelayConnection({
        url: relay.wsUrl,
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        clock,
        baseDelayMs: 1_000,
        maxDelayMs: 8_000,
        onState,
        onRelayError() {},
      });
      cleanup.push(() => connection.close());
      return connection;
    };
    const roomBytes = randomBytes(32);
    const key = randomBytes(32);
    const sender = new RecordingBinding(roomBytes, key);
    const a = connect();
    a.addRoom(sender);
    await until('the sender ready', () => a.isReady(sender.roomId));
    const texts = Array.from({ length: 10 }, (_, index) => `${index}`.padEnd(envelopeBytes, '.'));
    for (const text of texts) await a.publish(sender.roomId, new TextEncoder().encode(text));

    const reader = new RecordingBinding(roomBytes, key);
    const b = connect((state) => states.push(state));
    b.addRoom(reader);
    await until('caught up', () => reader.texts().length === texts.length);
    expect(reader.texts()).toEqual(texts);
    expect(reader.errors).toEqual([]);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(Number(/sealroom_refusals_total\{reason="HISTORY_LIMITED"\} (\d+)/.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
    expect(states).not.toContain('reconnecting');
  });
});
