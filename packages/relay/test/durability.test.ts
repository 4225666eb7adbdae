/**
 * Issue 14, "acknowledged means kept": a relay process with the durable store is SIGKILLed
 * while its members keep publishing; started again on the same data directory, it still
 * has every envelope it acknowledged, under the same epoch, and every member gets every
 * one of them — live before the kill or by catch-up after it. Nothing acknowledged is lost.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { expectJoined, newRoom, publishFrame, TestClient, type Room } from './helpers/client.js';
import { spawnRelay, type RelayProcess } from './helpers/process.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI_ENTRY = join(REPO, 'packages', 'relay', 'test', 'helpers', 'cli-entry.ts');
const MEMBERS = 4;
/** Envelopes each member sends without waiting for acks; the kill comes part-way through. */
const PER_MEMBER = 5_000;
const KILL_AFTER_ACKS = 300;
/** Envelopes per member sent in one turn before the publishers let the sockets breathe. */
const SEND_BURST = 20;
const WAIT_MS = 20_000;

function startRelay(dataDir: string, sync: 'normal' | 'full'): Promise<RelayProcess> {
  return spawnRelay(process.execPath, ['--import', 'tsx', CLI_ENTRY, '--port', '0', '--log-level', 'warn', '--data-dir', dataDir, '--data-sync', sync], {
    cwd: REPO,
  });
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Every envelope a client received for a room (live or caught up), by cursor, as hex. */
function received(client: TestClient, room: Room): Map<number, string> {
  const byCursor = new Map<number, string>();
  for (const item of client.inbox) {
    if ('frame' in item && item.frame.room === room.key) byCursor.set(item.frame.cursor, item.frame.envelope.toString('hex'));
  }
  return byCursor;
}

describe('the durable store across SIGKILL', () => {
  const dirs: string[] = [];
  const relays: RelayProcess[] = [];
  const clients: TestClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    for (const relay of relays.splice(0)) relay.child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['normal', 'full'] as const)('loses no acknowledged envelope when killed mid-conversation (synchronous=%s)', async (sync) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sealroom-kill-'));
    dirs.push(dataDir);
    const first = await startRelay(dataDir, sync);
    relays.push(first);
    const room = newRoom();
    const members: TestClient[] = [];
    let epoch: unknown;
    for (let index = 0; index < MEMBERS; index += 1) {
      const member = await TestClient.connect(first.wsUrl);
      clients.push(member);
      const joined = await member.join(room);
      expectJoined(joined);
      epoch ??= joined.epoch;
      members.push(member);
    }

    // Every member keeps publishing, without waiting for acks, until the relay dies under them.
    const sent = members.map(() => new Map<number, string>());
    let killed = false;
    const publishing = (async () => {
      for (let id = 1; id <= PER_MEMBER && !killed; id += 1) {
        for (const [index, member] of members.entries()) {
          const envelope = randomBytes(64 + ((id * 7 + index) % 512));
          sent[index]!.set(id, envelope.toString('hex'));
          if (member.ws.readyState === member.ws.OPEN) member.sendBinary(publishFrame(room.id, id, envelope));
        }
        if (id % SEND_BURST === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const acks = (member: TestClient): number => member.inbox.filter((item) => 'ack' in item).length;
    await until('part of the envelopes acknowledged', () => members.reduce((sum, member) => sum + acks(member), 0) >= KILL_AFTER_ACKS);
    first.child.kill('SIGKILL');
    killed = true;
    await first.exited;
    await publishing;

    // What the relay acknowledged before it died: cursor → bytes.
    const acknowledged = new Map<number, string>();
    for (const [index, member] of members.entries()) {
      for (const item of member.inbox) if ('ack' in item) acknowledged.set(item.ack.cursor, sent[index]!.get(item.ack.id)!);
    }
    expect(acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(acknowledged.size).toBeLessThan(MEMBERS * PER_MEMBER);

    const second = await startRelay(dataDir, sync);
    relays.push(second);
    for (const [index, before] of members.entries()) {
      const member = await TestClient.connect(second.wsUrl);
      clients.push(member);
      const joined = await member.join(room);
      // The same incarnation: nothing was lost, so no client is told of a gap.
      expect(joined).toMatchObject({ t: 'joined', epoch });
      expect(joined.head as number).toBeGreaterThanOrEqual(Math.max(...acknowledged.keys()));
      let after = 0;
      for (;;) {
        member.send({ v: 2, t: 'history', room: room.key, after });
        const end = await member.json('history-end', (message) => message.room === room.key);
        after = Math.max(after, ...received(member, room).keys());
        if (end.more !== true) break;
      }
      expect(member.inbox.some((item) => 'json' in item && item.json.t === 'gap')).toBe(false);
      const got = new Map([...received(before, room), ...received(member, room)]);
      const lost = [...acknowledged].filter(([cursor, bytes]) => got.get(cursor) !== bytes);
      expect(lost, `member ${index} lost acknowledged envelopes`).toEqual([]);
    }
  });
});
