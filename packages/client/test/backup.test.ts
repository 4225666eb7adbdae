/**
 * Backups that move everything (issue 16): rooms, their secrets and state, and history go
 * into the file sealed under the backup password; another browser restores them, reconnects
 * and goes on in the room as the same member; a newer backup merges without duplicates; the
 * identity-only files of earlier versions still import; a damaged or hostile file is refused
 * with a message saying why, before anything is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@sealroom/relay';
import { exportBackup as exportIdentityOnly, fromUtf8, generateIdentity, readWrappedIdentity, utf8, wrapIdentity } from '@sealroom/protocol';
import { createMemoryStorage, createSealroomClient, type BackupProgress, type ClientStorage, type SealroomClient } from '../src/index.js';
import {
  clientFor,
  makePersonas,
  NodeWebSocket,
  PASSWORD,
  receivedTexts,
  TEST_PBKDF2_ITERATIONS,
  TEST_RECONNECT,
  texts,
  waitFor,
  type TestClient,
} from './helpers.js';

const BACKUP_PASSWORD = PASSWORD;

function freshClient(relayUrl: string, storage: ClientStorage = createMemoryStorage()): SealroomClient {
  return createSealroomClient({
    relayUrl,
    storage,
    WebSocket: NodeWebSocket,
    dangerousTestOnlyPbkdf2Iterations: TEST_PBKDF2_ITERATIONS,
    reconnect: TEST_RECONNECT,
  });
}

type File = { v: number; parts: string[]; history: boolean; [key: string]: unknown };
const parse = (bytes: Uint8Array) => JSON.parse(fromUtf8(bytes)!) as File;
const encode = (file: unknown) => utf8(JSON.stringify(file));

describe('backups with rooms and history', () => {
  let relay: RunningRelay;
  let personas: Map<string, Uint8Array>;
  let alice: TestClient;
  let bob: TestClient;
  let roomId: string;

  beforeAll(async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    personas = await makePersonas(relay.url, ['Alice', 'Bob', 'Carol']);
    alice = await clientFor(relay.url, 'Alice', personas.get('Alice')!);
    bob = await clientFor(relay.url, 'Bob', personas.get('Bob')!);
    const room = await alice.client.createRoom({ name: 'Moving day' });
    roomId = room.id;
    await bob.client.joinRoom(room.inviteLink());
    await waitFor('bob is let in', () => alice.client.room(roomId)!.members().length === 2 && bob.client.room(roomId)!.summary().active);
    await alice.client.room(roomId)!.sendText('first from Alice');
    await bob.client.room(roomId)!.sendText('first from Bob');
    await waitFor('alice has both', () => receivedTexts(alice, roomId).length === 1);
  });
  afterAll(async () => {
    await alice.client.close();
    await bob.client.close();
    await relay.close();
  });

  it('restores the room and its history in a fresh browser, which reconnects and goes on as the same member', async () => {
    const progress: BackupProgress[] = [];
    const backup = await alice.client.exportBackup(BACKUP_PASSWORD, { onProgress: (p) => progress.push(p) });
    expect(parse(backup)).toMatchObject({ format: 'sealroom-backup', v: 2, history: true });
    expect(progress.at(-1)).toEqual({ step: 'sealing', done: 2, total: 2 });
    // Sealed: neither the text nor the room name is in the file.
    expect(fromUtf8(backup)).not.toContain('first from');
    expect(fromUtf8(backup)).not.toContain('Moving day');

    const restoredProgress: BackupProgress[] = [];
    const restored = freshClient(relay.url);
    const events: string[] = [];
    restored.on('message', (e) => {
      if (e.item.kind === 'text') events.push(e.item.text);
    });
    expect(await restored.importBackup(backup, BACKUP_PASSWORD, { onProgress: (p) => restoredProgress.push(p) })).toEqual(alice.client.identity());
    expect(restoredProgress.map((p) => p.step)).toContain('opening');
    expect(restoredProgress.at(-1)).toMatchObject({ step: 'restoring' });
    expect(restored.rooms().map((r) => [r.id, r.name, r.active])).toEqual([[roomId, 'Moving day', true]]);
    const room = restored.room(roomId)!;
    expect(texts(await room.history()).map((m) => m.text)).toEqual(['first from Alice', 'first from Bob']);

    await bob.client.room(roomId)!.sendText('after the move');
    await waitFor('the restored device receives a new message', () => events.includes('after the move'));
    // It sends under a fresh sender key of its own, which Bob accepts from the same member.
    await room.sendText('hello from the new browser');
    await waitFor('bob reads it', () => receivedTexts(bob, roomId).some((m) => m.text === 'hello from the new browser' && m.senderName === 'Alice'));
    const ids = (await room.history()).map((item) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
    await restored.close();
  });

  it('leaves the history out when asked, keeping the room', async () => {
    const backup = await alice.client.exportBackup(BACKUP_PASSWORD, { history: false });
    expect(parse(backup)).toMatchObject({ v: 2, history: false });
    expect(parse(backup).parts).toHaveLength(1);
    const restored = freshClient(relay.url);
    await restored.importBackup(backup, BACKUP_PASSWORD);
    expect(restored.rooms().map((r) => r.id)).toEqual([roomId]);
    expect(texts(await restored.room(roomId)!.history())).toEqual([]);
    await restored.close();
  });

  it('merges a newer backup over older state by item id: nothing shows twice', async () => {
    const storage = createMemoryStorage();
    const older = await alice.client.exportBackup(BACKUP_PASSWORD);
    const device = freshClient(relay.url, storage);
    await device.importBackup(older, BACKUP_PASSWORD);
    const before = texts(await device.room(roomId)!.history()).map((m) => m.text);
    await device.close();

    await bob.client.room(roomId)!.sendText('while the other browser was closed');
    await waitFor('alice has it', () => receivedTexts(alice, roomId).some((m) => m.text === 'while the other browser was closed'));
    const newer = await alice.client.exportBackup(BACKUP_PASSWORD);

    const again = freshClient(relay.url, storage);
    expect(await again.identityState()).toBe('locked');
    await again.importBackup(newer, BACKUP_PASSWORD);
    const after = await again.room(roomId)!.history();
    const ids = after.map((item) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
    const afterTexts = texts(after).map((m) => m.text);
    for (const text of before) expect(afterTexts.filter((t) => t === text)).toHaveLength(1);
    expect(afterTexts.filter((t) => t === 'while the other browser was closed')).toHaveLength(1);
    // The same file again changes nothing.
    await again.importBackup(newer, BACKUP_PASSWORD);
    expect((await again.room(roomId)!.history()).map((item) => item.id)).toEqual(ids);
    await again.close();
  });

  it('still imports an identity-only backup of an earlier version', async () => {
    const stored = readWrappedIdentity(JSON.parse(fromUtf8(personas.get('Carol')!)!).identity);
    if (!stored.ok) throw new Error('persona');
    const old = await exportIdentityOnly(stored.wrapped, PASSWORD, { iterations: TEST_PBKDF2_ITERATIONS, dangerouslyAllowWeakKdfForTests: true });
    if (!old.ok) throw new Error('export');
    expect(JSON.parse(old.text)).toMatchObject({ v: 1 });
    const client = freshClient(relay.url);
    expect((await client.importBackup(utf8(old.text), PASSWORD)).displayName).toBe('Carol');
    expect(client.rooms()).toEqual([]);
    await client.close();
  });

  it('refuses a wrong password, and writes nothing', async () => {
    const backup = await alice.client.exportBackup(BACKUP_PASSWORD);
    const storage = createMemoryStorage();
    const client = freshClient(relay.url, storage);
    await expect(client.importBackup(backup, 'not the password')).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    expect(await storage.keys('')).toEqual([]);
    await expect(alice.client.exportBackup('not the password')).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    await client.close();
  });

  it('refuses a truncated, altered, reordered or hostile file with a message saying what is wrong', async () => {
    const backup = await alice.client.exportBackup(BACKUP_PASSWORD);
    const file = parse(backup);
    expect(file.parts.length).toBeGreaterThanOrEqual(2);
    const flip = (text: string) => `${text.slice(0, 40)}${text[40] === 'A' ? 'B' : 'A'}${text.slice(41)}`;
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated', backup.subarray(0, backup.length - 10), /not complete JSON/],
      ['not a backup', utf8('{"format":"something-else"}'), /not a Sealroom backup/],
      ['future version', encode({ ...file, v: 3 }), /version 3 is not known/],
      ['altered part', encode({ ...file, parts: [file.parts[0], flip(file.parts[1]!), ...file.parts.slice(2)] }), /part 2 of \d+ is damaged or was altered/],
      ['reordered parts', encode({ ...file, parts: [...file.parts].reverse() }), /part 1 of \d+ is damaged/],
      ['a part dropped', encode({ ...file, parts: file.parts.slice(0, -1) }), /part 1 of \d+ is damaged/],
      ['parts not a list', encode({ ...file, parts: 'x' }), /parts is malformed/],
      ['a part not base64url', encode({ ...file, parts: ['<script>'] }), /parts\[0\] is malformed/],
      ['backup id missing', encode({ ...file, backupId: undefined }), /backupId is malformed/],
      ['identity missing', encode({ ...file, identity: { format: 'sealroom-identity' } }), /identity in the backup is unreadable/],
    ];
    for (const [what, bytes, message] of cases) {
      const storage = createMemoryStorage();
      const client = freshClient(relay.url, storage);
      const error = await client.importBackup(bytes, BACKUP_PASSWORD).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, what).toMatchObject({ code: 'BAD_BACKUP' });
      expect((error as Error).message, what).toMatch(message);
      expect(await storage.keys(''), what).toEqual([]);
      await client.close();
    }
  });

  it("refuses another identity's backup over this one, and a file posing as mine (another identity's keys under my id)", async () => {
    const carol = await clientFor(relay.url, 'Carol', personas.get('Carol')!);
    const backup = await alice.client.exportBackup(BACKUP_PASSWORD);
    await expect(carol.client.importBackup(backup, BACKUP_PASSWORD)).rejects.toMatchObject({ code: 'IDENTITY_EXISTS' });
    await carol.client.createRoom({ name: 'Carol only' });
    // Carol's backup relabelled with Alice's id: it must not be merged over Alice's rooms.
    const carolBackup = parse(await carol.client.exportBackup(BACKUP_PASSWORD));
    const aliceStorage = createMemoryStorage();
    const aliceDevice = freshClient(relay.url, aliceStorage);
    await aliceDevice.importBackup(backup, BACKUP_PASSWORD);
    await aliceDevice.close();
    const aliceId = (parse(backup).identity as { id: string }).id;
    const posing = encode({ ...carolBackup, identity: { ...(carolBackup.identity as object), id: aliceId } });
    const again = freshClient(relay.url, aliceStorage);
    await expect(again.importBackup(posing, BACKUP_PASSWORD)).rejects.toMatchObject({ code: 'BAD_BACKUP' });
    await again.unlock(BACKUP_PASSWORD);
    expect(again.rooms().map((r) => r.id)).toEqual([roomId]);
    await again.close();
    await carol.client.close();
  });

  it('refuses to merge a file of my identity whose storage key does not open my rooms (they would be overwritten)', async () => {
    // The same keys wrapped twice: two blobs of one identity with different storage keys.
    const generated = await generateIdentity('Dana');
    const kdf = { iterations: TEST_PBKDF2_ITERATIONS, dangerouslyAllowWeakKdfForTests: true };
    const first = await wrapIdentity(generated, PASSWORD, kdf);
    const second = await wrapIdentity(generated, PASSWORD, kdf);
    const storage = createMemoryStorage();
    const device = freshClient(relay.url, storage);
    await device.importBackup(encode({ format: 'sealroom-backup', v: 1, identity: first.wrapped }), PASSWORD);
    const room = await device.createRoom({ name: 'Dana keeps this' });
    await device.close();
    const other = encode({
      format: 'sealroom-backup',
      v: 2,
      identity: second.wrapped,
      backupId: 'AAAAAAAAAAAAAAAAAAAAAA',
      history: true,
      createdAt: 0,
      parts: [],
    });
    const again = freshClient(relay.url, storage);
    await expect(again.importBackup(other, PASSWORD)).rejects.toMatchObject({
      code: 'BAD_BACKUP',
      message: "the backup's keys do not open this browser's rooms",
    });
    await again.unlock(PASSWORD);
    expect(again.rooms().map((r) => r.id)).toEqual([room.id]);
    await again.close();
  });
});
