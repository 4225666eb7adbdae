/**
 * Issue 14 point 1, client side: a relay (or two relay processes over Redis) that delivers
 * out of cursor order or leaves a hole must not make the client drop anything. Played by a
 * scripted relay: every envelope is handed over exactly once, in cursor order, the hole is
 * fetched with `history`, and only what the relay says is gone becomes a gap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { randomBytes } from '@sealroom/protocol';
import { systemClock } from '../src/clock.js';
import type { WebSocketConstructor } from '../src/index.js';
import { RelayConnection } from '../src/transport.js';
import { FakeRelay, type FakeConnection } from './fake-relay.js';
import { RecordingBinding } from './recording-binding.js';

const text = (value: string) => new TextEncoder().encode(value);

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('transport: cursor order and holes (PROTOCOL A.1, A.4)', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function connected(binding: RecordingBinding): Promise<{ relay: FakeRelay; conn: FakeConnection; connection: RelayConnection }> {
    const relay = await FakeRelay.start();
    cleanup.push(() => relay.close());
    const connection = new RelayConnection({
      url: relay.url,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      clock: systemClock,
      baseDelayMs: 50,
      maxDelayMs: 200,
      onState() {},
      onRelayError() {},
    });
    cleanup.push(() => connection.close());
    connection.addRoom(binding);
    const conn = await relay.connection();
    await conn.admit(binding.roomId, { head: 0, epoch: 'e1' });
    const first = await conn.next((m) => m.t === 'history', 'first catch-up');
    expect(first).toMatchObject({ room: binding.roomId, after: 0 });
    conn.send({ t: 'history-end', room: binding.roomId, head: 0, more: false });
    await until('ready', () => binding.ready);
    return { relay, conn, connection };
  }

  it('holds a DELIVER past a hole, fetches the hole, and hands everything over once, in order', async () => {
    const binding = new RecordingBinding(randomBytes(32), randomBytes(32), { processMs: 2 });
    const { conn } = await connected(binding);
    const room = binding.roomId;
    // 2 never arrives live, 4 arrives after 5: what two relay processes over Redis did.
    for (const cursor of [1, 3, 5, 4]) conn.envelope('deliver', room, cursor, text(`m${cursor}`));
    const fill = await conn.next((m) => m.t === 'history', 'the hole fetched');
    expect(fill).toMatchObject({ room, after: 1 });
    for (const cursor of [2, 3, 4, 5]) conn.envelope('history', room, cursor, text(`m${cursor}`));
    conn.send({ t: 'history-end', room, head: 5, more: false });
    await until('five envelopes', () => binding.last === 5);
    expect(binding.cursors()).toEqual([1, 2, 3, 4, 5]);
    expect(binding.texts()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(binding.overlaps).toBe(0);
    // A late duplicate changes nothing.
    conn.envelope('deliver', room, 2, text('m2 again'));
    conn.envelope('deliver', room, 6, text('m6'));
    await until('six', () => binding.last === 6);
    expect(binding.texts()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(conn.inbox.filter((m) => m.t === 'history')).toEqual([]);
  });

  it('hands over a pinned envelope inside a reported gap before the gap, and only then what follows', async () => {
    const binding = new RecordingBinding(randomBytes(32), randomBytes(32));
    const { conn } = await connected(binding);
    const room = binding.roomId;
    conn.envelope('deliver', room, 1, text('m1'));
    conn.envelope('deliver', room, 6, text('m6'));
    await conn.next((m) => m.t === 'history' && m.after === 1, 'the hole fetched');
    // 2 and 4 were trimmed; 3 is pinned (kept inside the gap); 5 and 6 are retained.
    conn.send({ t: 'gap', room, after: 1, upTo: 4 });
    // A live one arriving in the middle of the answer waits its turn.
    conn.envelope('history', room, 3, text('pinned m3'));
    conn.envelope('deliver', room, 7, text('m7'));
    conn.envelope('history', room, 5, text('m5'));
    conn.envelope('history', room, 6, text('m6'));
    conn.send({ t: 'history-end', room, head: 6, more: false });
    await until('seven', () => binding.last === 7);
    const order = binding.handed.filter((h) => h.kind === 'envelope' || h.kind === 'gap').map((h) => (h.kind === 'gap' ? `gap ${h.after}-${h.upTo}` : h.text));
    expect(order).toEqual(['m1', 'pinned m3', 'gap 1-4', 'm5', 'm6', 'm7']);
  });

  it('pages through a long hole with `more`, and reports as lost only what the relay said it had and did not send', async () => {
    const binding = new RecordingBinding(randomBytes(32), randomBytes(32));
    const { conn } = await connected(binding);
    const room = binding.roomId;
    conn.envelope('deliver', room, 10, text('m10'));
    await conn.next((m) => m.t === 'history' && m.after === 0, 'the hole fetched');
    for (const cursor of [1, 2, 3]) conn.envelope('history', room, cursor, text(`m${cursor}`));
    conn.send({ t: 'history-end', room, head: 10, more: true });
    await conn.next((m) => m.t === 'history' && m.after === 3, 'the next page');
    // A relay that skips 6 and 7 without a gap, then says it has sent everything up to 10.
    for (const cursor of [4, 5, 8, 9, 10]) conn.envelope('history', room, cursor, text(`m${cursor}`));
    conn.send({ t: 'history-end', room, head: 10, more: false });
    await until('ten', () => binding.last === 10);
    const order = binding.handed.filter((h) => h.kind === 'envelope' || h.kind === 'gap').map((h) => (h.kind === 'gap' ? `gap ${h.after}-${h.upTo}` : h.text));
    expect(order).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'gap 5-7', 'm8', 'm9', 'm10']);
  });

  it('starts over at cursor 0, after telling the room, whenever the relay’s room is not the incarnation its cursor belongs to', async () => {
    const relay = await FakeRelay.start();
    cleanup.push(() => relay.close());
    const binding = new RecordingBinding(randomBytes(32), randomBytes(32), { maxAgeMs: 60_000 });
    const room = binding.roomId;
    const cases = [
      { joined: { head: 9, epoch: 'e1' }, reset: undefined },
      { joined: { head: 9, epoch: 'e2' }, reset: { reason: 'epoch-changed', previousEpoch: 'e1' } },
      { joined: { head: 1, epoch: 'e2' }, reset: { reason: 'head-behind', previousEpoch: 'e2' } },
      { joined: { head: 0, epoch: 'e3', registered: false }, reset: { reason: 'unregistered', previousEpoch: 'e2' } },
    ] as const;
    binding.last = 5;
    binding.epoch = 'e1';
    let connection: RelayConnection | undefined;
    for (const step of cases) {
      binding.handed.length = 0;
      binding.last = 5;
      connection?.close();
      connection = new RelayConnection({
        url: relay.url,
        WebSocket: WebSocket as unknown as WebSocketConstructor,
        clock: systemClock,
        baseDelayMs: 50,
        maxDelayMs: 200,
        onState() {},
        onRelayError() {},
      });
      cleanup.push(() => connection?.close());
      connection.addRoom(binding);
      const conn = await relay.connection();
      const prove = await conn.admit(room, step.joined);
      // The key, and the retention it registers with, only go to an unregistered room.
      if (step.reset?.reason === 'unregistered') expect(prove).toMatchObject({ key: expect.any(String), maxAgeMs: 60_000 });
      else expect(prove).not.toHaveProperty('key');
      if (step.reset === undefined) expect(prove).not.toHaveProperty('maxAgeMs');
      const history = await conn.next((m) => m.t === 'history', 'catch-up');
      expect(history.after).toBe(step.reset === undefined ? 5 : 0);
      conn.send({ t: 'history-end', room, head: step.joined.head, more: false });
      await until('ready', () => binding.handed.some((h) => h.kind === 'ready'));
      const expected = [
        ...(step.reset === undefined ? [] : [{ kind: 'reset', reset: { ...step.reset, lastCursor: 5 } }]),
        { kind: 'epoch', epoch: step.joined.epoch },
      ];
      expect(binding.handed.filter((h) => h.kind === 'reset' || h.kind === 'epoch')).toEqual(expected);
    }
  });

  it('told `joined` again while admitted (the relay lost the room’s history): tells the room, starts over at 0 in the new incarnation, ready once caught up', async () => {
    const binding = new RecordingBinding(randomBytes(32), randomBytes(32));
    const { conn, connection } = await connected(binding);
    const room = binding.roomId;
    conn.envelope('deliver', room, 1, text('old 1'));
    conn.envelope('deliver', room, 2, text('old 2'));
    await until('two', () => binding.last === 2);
    binding.handed.length = 0;
    conn.send({ t: 'joined', room, head: 0, epoch: 'e2' });
    const history = await conn.next((m) => m.t === 'history', 'catch-up in the new incarnation');
    expect(history.after).toBe(0);
    expect(connection.isReady(room)).toBe(false);
    expect(binding.ready).toBe(false);
    // The new incarnation numbers from 1 again: nothing of it is taken for a duplicate.
    conn.envelope('history', room, 1, text('new 1'));
    conn.send({ t: 'history-end', room, head: 1, more: false });
    await until('ready again', () => connection.isReady(room) && binding.ready);
    conn.envelope('deliver', room, 2, text('new 2'));
    await until('new 2', () => binding.texts().includes('new 2'));
    expect(binding.handed).toEqual([
      { kind: 'reset', reset: { reason: 'epoch-changed', lastCursor: 2, previousEpoch: 'e1' } },
      { kind: 'epoch', epoch: 'e2' },
      { kind: 'envelope', cursor: 1, text: 'new 1', live: false },
      { kind: 'ready' },
      { kind: 'envelope', cursor: 2, text: 'new 2', live: true },
    ]);
  });

  it('never fetches its own publish back: an ACK fills its cursor', async () => {
    const binding = new RecordingBinding(randomBytes(32), randomBytes(32));
    const { conn, connection } = await connected(binding);
    const room = binding.roomId;
    const sent = connection.publish(room, text('mine'));
    await until('publish', () => conn.publishes.length === 1);
    conn.envelope('deliver', room, 1, text('m1'));
    // Over Redis another member's 3 can overtake the ACK of my 2.
    conn.envelope('deliver', room, 3, text('m3'));
    conn.ack(conn.publishes[0]!.id, 2);
    expect(await sent).toBe(2);
    await until('three', () => binding.last === 3);
    expect(binding.texts()).toEqual(['m1', 'm3']);
    expect(conn.inbox.filter((m) => m.t === 'history')).toEqual([]);
  });
});
