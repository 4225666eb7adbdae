import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { RelayConnection } from '../src/transport.js';
import { RecordingBinding } from './recording-binding.js';
import { systemClock } from '../src/clock.js';
import { randomBytes, toBase64Url } from '@sealroom/protocol';
import type { WebSocketConstructor } from '../src/index.js';

function binding(roomId: Uint8Array, key: Uint8Array, log: { cursor: number; text: string }[]): RecordingBinding {
  const recording = new RecordingBinding(roomId, key);
  const onEnvelope = recording.onEnvelope.bind(recording);
  recording.onEnvelope = async (cursor, envelope, live) => {
    await onEnvelope(cursor, envelope, live);
    log.push({ cursor, text: new TextDecoder().decode(envelope) });
  };
  return recording;
}

function connection(url: string): RelayConnection {
  return new RelayConnection({
    url,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    clock: systemClock,
    baseDelayMs: 50,
    maxDelayMs: 200,
    onState() {},
    onRelayError() {},
  });
}

async function ready(c: RelayConnection, room: string): Promise<void> {
  while (!c.isReady(room)) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('relay transport', () => {
  let relay: RunningRelay;
  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
  });
  afterAll(async () => {
    await relay.close();
  });

  it('admits, publishes, delivers live and catches up from a cursor after reconnect', async () => {
    const roomId = randomBytes(32);
    const key = randomBytes(32);
    const aLog: { cursor: number; text: string }[] = [];
    const bLog: { cursor: number; text: string }[] = [];
    const a = connection(relay.wsUrl);
    const b = connection(relay.wsUrl);
    const ab = binding(roomId, key, aLog);
    const bb = binding(roomId, key, bLog);
    a.addRoom(ab);
    await ready(a, ab.roomId);
    b.addRoom(bb);
    await ready(b, bb.roomId);
    const c1 = await a.publish(ab.roomId, new TextEncoder().encode('one'));
    const c2 = await a.publish(ab.roomId, new TextEncoder().encode('two'));
    expect(c2).toBeGreaterThan(c1);
    while (bLog.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(bLog.map((e) => e.text)).toEqual(['one', 'two']);
    expect(aLog).toEqual([]); // never delivered back to the sender

    b.close();
    await a.publish(ab.roomId, new TextEncoder().encode('three'));
    const b2 = connection(relay.wsUrl);
    b2.addRoom(bb);
    await ready(b2, bb.roomId);
    expect(bLog.map((e) => e.text)).toEqual(['one', 'two', 'three']);
    a.close();
    b2.close();
  });

  it('refuses publishing before admission with a coded error', async () => {
    const a = connection(relay.wsUrl);
    await expect(a.publish(toBase64Url(randomBytes(32)), new Uint8Array([1]))).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    a.close();
  });

  it('reconnects after the relay restarts empty on the same port and restarts the cursor', async () => {
    const own = await startRelay({ port: 0, logLevel: 'silent' });
    const roomId = randomBytes(32);
    const key = randomBytes(32);
    const aLog: { cursor: number; text: string }[] = [];
    const bLog: { cursor: number; text: string }[] = [];
    const a = connection(own.wsUrl);
    const b = connection(own.wsUrl);
    const ab = binding(roomId, key, aLog);
    const bb = binding(roomId, key, bLog);
    a.addRoom(ab);
    b.addRoom(bb);
    await ready(a, ab.roomId);
    await ready(b, bb.roomId);
    for (const text of ['1', '2', '3']) await a.publish(ab.roomId, new TextEncoder().encode(text));
    while (bLog.length < 3) await new Promise((r) => setTimeout(r, 5));
    await own.close();
    const again = await startRelay({ port: own.port, logLevel: 'silent' });
    await ready(a, ab.roomId);
    await ready(b, bb.roomId);
    await a.publish(ab.roomId, new TextEncoder().encode('after restart'));
    while (bLog.length < 4) await new Promise((r) => setTimeout(r, 5));
    expect(bLog.map((e) => e.text)).toEqual(['1', '2', '3', 'after restart']);
    a.close();
    b.close();
    await again.close();
  });

  it('a relay restarted empty while a member was away: its room registered again and written past her cursor, she is told of the loss and gets everything new', async () => {
    // Issue 14 point 2: cursors restart with the relay, so "head ≥ my cursor" proves nothing.
    const own = await startRelay({ port: 0, logLevel: 'silent' });
    const roomId = randomBytes(32);
    const key = randomBytes(32);
    const a = connection(own.wsUrl);
    const ab = binding(roomId, key, []);
    const bLog: { cursor: number; text: string }[] = [];
    const bb = binding(roomId, key, bLog);
    a.addRoom(ab);
    await ready(a, ab.roomId);
    let b = connection(own.wsUrl);
    b.addRoom(bb);
    await ready(b, bb.roomId);
    for (const text of ['old 1', 'old 2', 'old 3']) await a.publish(ab.roomId, new TextEncoder().encode(text));
    while (bLog.length < 3) await new Promise((r) => setTimeout(r, 5));
    const oldEpoch = bb.relayEpoch();
    expect(oldEpoch).toBeDefined();
    b.close();

    await own.close();
    const again = await startRelay({ port: own.port, logLevel: 'silent' });
    await ready(a, ab.roomId);
    // More than she had read, so the relay's head is past her cursor again.
    for (let i = 1; i <= 5; i += 1) await a.publish(ab.roomId, new TextEncoder().encode(`new ${i}`));

    b = connection(again.wsUrl);
    b.addRoom(bb);
    await ready(b, bb.roomId);
    while (bLog.length < 8) await new Promise((r) => setTimeout(r, 5));
    expect(bLog.map((e) => e.text)).toEqual(['old 1', 'old 2', 'old 3', 'new 1', 'new 2', 'new 3', 'new 4', 'new 5']);
    const resets = bb.handed.flatMap((h) => (h.kind === 'reset' ? [h.reset] : []));
    expect(resets).toEqual([{ reason: 'epoch-changed', lastCursor: 3, previousEpoch: oldEpoch }]);
    expect(bb.relayEpoch()).not.toBe(oldEpoch);
    a.close();
    b.close();
    await again.close();
  });
});
