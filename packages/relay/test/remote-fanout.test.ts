import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryRoomStore, type RemoteEnvelopeListener, type RoomKey } from '../src/index.js';
import { expectJoined, newRoom, proof, publishFrame, TestClient } from './helpers/client.js';
import { useRelays } from './helpers/relay.js';

/**
 * The relay's side of scale-out, against a store that stands in for another process:
 * it records subscriptions, can hold them back, and injects "remote" envelopes.
 */
class RecordingStore extends MemoryRoomStore {
  readonly calls: string[] = [];
  listener: RemoteEnvelopeListener | undefined;
  release: (() => void) | undefined;
  private gate: Promise<void> | undefined;

  holdSubscriptions(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  override async subscribe(room: RoomKey): Promise<void> {
    this.calls.push(`subscribe ${room}`);
    await this.gate;
    this.calls.push(`subscribed ${room}`);
    return super.subscribe(room);
  }

  override async unsubscribe(room: RoomKey): Promise<void> {
    this.calls.push(`unsubscribe ${room}`);
    return super.unsubscribe(room);
  }

  override onRemoteEnvelope(listener: RemoteEnvelopeListener): void {
    this.listener = listener;
  }
}

describe('fan-out from other relay processes (RoomStore.onRemoteEnvelope)', () => {
  const { start, track } = useRelays();

  it('admits only once subscribed, delivers remote envelopes to every local member, unsubscribes when the last leaves', async () => {
    const store = new RecordingStore();
    const relay = await start({ store });
    const room = newRoom();
    const a = track(await TestClient.connect(relay.wsUrl));
    const b = track(await TestClient.connect(relay.wsUrl));

    store.holdSubscriptions();
    const joining = a.join(room);
    await expect.poll(() => store.calls).toEqual([`subscribe ${room.key}`]);
    // Not admitted while the subscription is pending.
    await a.sync();
    expect(a.inbox.some((i) => 'json' in i && i.json.t === 'joined')).toBe(false);
    store.release!();
    expectJoined(await joining);
    expectJoined(await b.join(room));
    // One subscription per room and process, not per member.
    expect(store.calls).toEqual([`subscribe ${room.key}`, `subscribed ${room.key}`]);

    // Another process appended the room's first envelope (cursors are contiguous).
    const envelope = randomBytes(300);
    store.listener!(room.key, 1, envelope);
    for (const member of [a, b]) {
      const got = await member.frame('deliver', room.key);
      expect(got.cursor).toBe(1);
      expect(got.envelope.equals(envelope)).toBe(true);
    }
    // Envelopes for rooms nobody here is in are ignored.
    store.listener!(newRoom().key, 1, envelope);

    a.send({ v: 2, t: 'leave', room: room.key });
    await a.json('left');
    expect(store.calls).not.toContain(`unsubscribe ${room.key}`);
    b.ws.close();
    await b.closed;
    await expect.poll(() => store.calls.at(-1)).toBe(`unsubscribe ${room.key}`);
    expect(relay.health().rooms).toBe(0);
  });

  it('refuses a publish the store cannot take with UNAVAILABLE, and goes on', async () => {
    class FailingStore extends MemoryRoomStore {
      failing = true;
      override async append(room: RoomKey, envelope: Uint8Array, nowMs: number): Promise<number> {
        if (this.failing) throw new Error('backend down');
        return super.append(room, envelope, nowMs);
      }
    }
    const store = new FailingStore();
    const relay = await start({ store });
    const room = newRoom();
    const a = track(await TestClient.connect(relay.wsUrl));
    const b = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await a.join(room));
    expectJoined(await b.join(room));
    const { publishFrame } = await import('./helpers/client.js');
    a.sendBinary(publishFrame(room.id, 9, randomBytes(10)));
    expect(await a.error('UNAVAILABLE')).toMatchObject({ room: room.key, id: 9 });
    await b.sync();
    expect(b.frames()).toEqual([]);
    store.failing = false;
    const cursor = await a.publish(room, Buffer.from('ok'));
    expect((await b.frame('deliver')).cursor).toBe(cursor);
  });

  it('an admission still in progress counts against maxRoomsPerConnection', async () => {
    const store = new RecordingStore();
    const relay = await start({ store, limits: { maxRoomsPerConnection: 1 } });
    const first = newRoom();
    const second = newRoom();
    const a = track(await TestClient.connect(relay.wsUrl));
    store.holdSubscriptions();
    const joining = a.join(first);
    await expect.poll(() => store.calls).toEqual([`subscribe ${first.key}`]);
    // The first room's challenge is spent but its admission is not finished yet.
    a.send({ v: 2, t: 'join', room: second.key });
    expect(await a.json('error', (m) => m.room === second.key)).toMatchObject({ code: 'ROOM_LIMIT' });
    store.release!();
    expectJoined(await joining);
  });

  it('a leave while the proof is still being checked cancels the admission', async () => {
    const store = new RecordingStore();
    const relay = await start({ store });
    const room = newRoom();
    const a = track(await TestClient.connect(relay.wsUrl));
    store.holdSubscriptions();
    a.send({ v: 2, t: 'join', room: room.key });
    const challenge = await a.json('challenge', (m) => m.room === room.key);
    const nonce = Buffer.from(challenge.nonce as string, 'base64url');
    a.send({ v: 2, t: 'prove', room: room.key, mac: proof(room.admissionKey, room.id, nonce), key: room.admissionKey.toString('base64url') });
    await expect.poll(() => store.calls).toEqual([`subscribe ${room.key}`]);
    a.send({ v: 2, t: 'leave', room: room.key });
    await a.json('left', (m) => m.room === room.key);
    store.release!();
    await expect.poll(() => store.calls.at(-1)).toBe(`unsubscribe ${room.key}`);
    await a.sync();
    expect(a.inbox.some((i) => 'json' in i && i.json.t === 'joined')).toBe(false);
    expect(relay.health().rooms).toBe(0);
    a.sendBinary(publishFrame(room.id, 1, randomBytes(10)));
    expect(await a.error('NOT_JOINED')).toMatchObject({ room: room.key, id: 1 });
  });

  it('an admission the store fails to finish leaves no local room or subscription behind', async () => {
    class FailingReadStore extends RecordingStore {
      failing = true;
      override async readAfter(room: RoomKey, after: number, limit: number, nowMs: number) {
        if (this.failing) throw new Error('backend down');
        return super.readAfter(room, after, limit, nowMs);
      }
    }
    const store = new FailingReadStore();
    const relay = await start({ store });
    const room = newRoom();
    const a = track(await TestClient.connect(relay.wsUrl));
    expect(await a.join(room)).toMatchObject({ t: 'error', code: 'UNAVAILABLE', room: room.key });
    expect(relay.health().rooms).toBe(0);
    await expect.poll(() => store.calls.at(-1)).toBe(`unsubscribe ${room.key}`);
    // The room is not half-open: a later admission works and delivers as usual.
    store.failing = false;
    const b = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await a.join(room));
    expectJoined(await b.join(room));
    const cursor = await a.publish(room, Buffer.from('after the outage'));
    expect((await b.frame('deliver')).cursor).toBe(cursor);
  });
});
