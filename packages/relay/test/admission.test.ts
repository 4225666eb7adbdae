import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { admissionMac, ErrorCode } from '../src/index.js';
import { expectJoined, newRoom, proof, TestClient } from './helpers/client.js';
import { useRelays } from './helpers/relay.js';

describe('admission (PROTOCOL.md A.3)', () => {
  const { start, track } = useRelays();

  it('matches the documented test vector', () => {
    // docs/PROTOCOL.md A.3 test vector: key 00..1f, room 20..3f, nonce 40..5f.
    const seq = (from: number) => Uint8Array.from({ length: 32 }, (_, i) => from + i);
    const mac = admissionMac(seq(0x00), seq(0x20), seq(0x40)).toString('hex');
    expect(mac).toBe(Buffer.from(proof(seq(0x00), seq(0x20), seq(0x40)), 'base64url').toString('hex'));
    expect(mac).toBe('7a4c300fa1510a51ae141c247d36abc9f8e3d44af68d665b11e8fa2435e53021');
  });

  it('registers the key on first use and admits a later right proof', async () => {
    const relay = await start();
    const room = newRoom();
    const first = track(await TestClient.connect(relay.wsUrl));
    first.send({ v: 2, t: 'join', room: room.key });
    const challenge = await first.json('challenge');
    expect(challenge.registered).toBe(false);
    expect(Buffer.from(challenge.nonce as string, 'base64url')).toHaveLength(32);
    first.send({
      v: 2,
      t: 'prove',
      room: room.key,
      key: room.admissionKey.toString('base64url'),
      mac: proof(room.admissionKey, room.id, Buffer.from(challenge.nonce as string, 'base64url')),
    });
    const joined = await first.json('joined');
    expect(joined).toEqual({ v: 2, t: 'joined', room: room.key, head: 0, epoch: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) });

    const second = track(await TestClient.connect(relay.wsUrl));
    second.send({ v: 2, t: 'join', room: room.key });
    const again = await second.json('challenge');
    expect(again.registered).toBe(true);
    expect(again.nonce).not.toBe(challenge.nonce);
    // The same incarnation: the same epoch.
    expect(await second.join(room)).toMatchObject({ t: 'joined', head: 0, epoch: joined.epoch });
  });

  it('refuses a wrong proof for that room only; the other rooms of the connection go on', async () => {
    const relay = await start();
    const good = newRoom();
    const other = newRoom();
    const alice = track(await TestClient.connect(relay.wsUrl));
    const bob = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await alice.join(good));
    expectJoined(await alice.join(other));
    expectJoined(await bob.join(good));

    // Bob knows the room id but not its admission key.
    const refused = await bob.join(other, { key: randomBytes(32) });
    expect(refused).toMatchObject({ t: 'error', code: ErrorCode.ADMISSION_DENIED, room: other.key });
    // A registered room ignores an offered key: the stored one decides.
    const offered = await bob.join(other, { key: randomBytes(32), offerKey: true });
    expect(offered).toMatchObject({ t: 'error', code: ErrorCode.ADMISSION_DENIED });

    const envelope = randomBytes(100);
    const cursor = await bob.publish(good, envelope);
    const got = await alice.frame('deliver', good.key);
    expect(got.cursor).toBe(cursor);
    expect(got.envelope.equals(envelope)).toBe(true);
    // Not admitted to `other`: publishing there is refused.
    bob.sendBinary((await import('./helpers/client.js')).publishFrame(other.id, 77, randomBytes(10)));
    expect(await bob.error(ErrorCode.NOT_JOINED)).toMatchObject({ room: other.key, id: 77 });
  });

  it('refuses a replayed answer to an old nonce', async () => {
    const relay = await start();
    const room = newRoom();
    const owner = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await owner.join(room));

    const victim = track(await TestClient.connect(relay.wsUrl));
    victim.send({ v: 2, t: 'join', room: room.key });
    const challenge = await victim.json('challenge');
    const answer = { v: 2, t: 'prove', room: room.key, mac: proof(room.admissionKey, room.id, Buffer.from(challenge.nonce as string, 'base64url')) };
    victim.send(answer);
    expectJoined(await victim.json('joined'));

    // An eavesdropper replays the recorded answer on its own connection: there is no
    // challenge for it, and a fresh challenge has a fresh nonce the answer does not fit.
    const thief = track(await TestClient.connect(relay.wsUrl));
    thief.send(answer);
    expect(await thief.error(ErrorCode.NO_CHALLENGE)).toMatchObject({ room: room.key });
    thief.send({ v: 2, t: 'join', room: room.key });
    await thief.json('challenge');
    thief.send(answer);
    expect(await thief.error(ErrorCode.ADMISSION_DENIED)).toMatchObject({ room: room.key });

    // The same connection cannot use one nonce twice either.
    const twice = track(await TestClient.connect(relay.wsUrl));
    twice.send({ v: 2, t: 'join', room: room.key });
    const c2 = await twice.json('challenge');
    const wrong = { v: 2, t: 'prove', room: room.key, mac: randomBytes(32).toString('base64url') };
    twice.send(wrong);
    await twice.error(ErrorCode.ADMISSION_DENIED);
    twice.send({ ...wrong, mac: proof(room.admissionKey, room.id, Buffer.from(c2.nonce as string, 'base64url')) });
    await twice.error(ErrorCode.NO_CHALLENGE);
  });

  it('refuses first registration without a key, and a proof that does not fit the offered key', async () => {
    const relay = await start();
    const room = newRoom();
    const client = track(await TestClient.connect(relay.wsUrl));
    expect(await client.join(room, { offerKey: false })).toMatchObject({ code: ErrorCode.ADMISSION_DENIED });
    client.send({ v: 2, t: 'join', room: room.key });
    const challenge = await client.json('challenge');
    client.send({
      v: 2,
      t: 'prove',
      room: room.key,
      key: randomBytes(32).toString('base64url'),
      mac: proof(room.admissionKey, room.id, Buffer.from(challenge.nonce as string, 'base64url')),
    });
    await client.error(ErrorCode.ADMISSION_DENIED);
    // Nothing was registered by the failed attempts: the real key still registers.
    expectJoined(await client.join(room));
  });

  it('leaves and rejoins; leave of a room never joined is NOT_JOINED', async () => {
    const relay = await start();
    const room = newRoom();
    const client = track(await TestClient.connect(relay.wsUrl));
    expectJoined(await client.join(room));
    expect(relay.health().rooms).toBe(1);
    client.send({ v: 2, t: 'leave', room: room.key });
    expect(await client.json('left')).toEqual({ v: 2, t: 'left', room: room.key });
    expect(relay.health().rooms).toBe(0);
    client.send({ v: 2, t: 'leave', room: room.key });
    await client.error(ErrorCode.NOT_JOINED);
    expectJoined(await client.join(room));
    // Joining again while admitted answers joined without a new challenge.
    client.send({ v: 2, t: 'join', room: room.key });
    expectJoined(await client.json('joined'));
  });
});
