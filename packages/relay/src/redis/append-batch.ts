/**
 * Appends batched per event-loop turn: every append a relay process makes in one turn, to
 * any number of rooms, goes to Redis as one script call (APPEND_BATCH_SCRIPT), so the
 * script's fixed cost, the room's metadata reads and writes, trimming, TTLs and the
 * fan-out PUBLISH are paid once per room or per process per turn rather than once per
 * envelope. Appends resolve in the order they were made.
 */
import type { RoomKey } from '../store.js';
import { StoreUnavailableError } from './connections.js';
import { MIB } from '@sealroom/units';

/** Most envelopes in one script call; a turn with more sends several calls back to back. */
const MAX_BATCH_ENVELOPES = 512;
/** Most envelope bytes in one call: Redis holds a call's arguments and fan-out messages at once. */
const MAX_BATCH_BYTES = 4 * MIB;
/** Keys of one room the script takes, in its order (scripts.ts). */
export const ROOM_KEYS_PER_GROUP = 5;
/** Prefix of a group's answer when the room is in another incarnation than expected. */
const STALE_MARK = '!';

export interface PendingAppend {
  readonly room: RoomKey;
  readonly envelope: Uint8Array;
  readonly pinned: boolean;
  readonly nowMs: number;
  /** The incarnation the append is meant for ('' for whichever the room has). */
  readonly epoch: string;
  /** With the cursor, or 0 for a pinned envelope refused past the room's limit. */
  resolve(cursor: number): void;
  reject(error: Error): void;
}

type ScriptArg = string | number | Buffer;

/** What batching needs from the store. */
export interface BatchBackend {
  /** Runs APPEND_BATCH_SCRIPT with these keys and arguments. */
  run(keys: string[], args: ScriptArg[]): Promise<(string | number)[]>;
  /** The room's keys, in the script's order. */
  keysOf(room: RoomKey): string[];
  /** ARGV[1..9] of the script (common arguments, process id, channel prefix, max pinned). */
  leadingArgs(nowMs: number): ScriptArg[];
  /** A room was in another incarnation than its appends expected. */
  stale(room: RoomKey): void;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

interface Group {
  readonly room: RoomKey;
  readonly epoch: string;
  readonly appends: PendingAppend[];
}

export class AppendBatcher {
  #queue: PendingAppend[] = [];
  #scheduled = false;
  readonly #flush = (): void => this.flush();

  constructor(private readonly backend: BatchBackend) {}

  /** Queues an append for the end of this turn. */
  add(append: PendingAppend): void {
    this.#queue.push(append);
    if (!this.#scheduled) {
      this.#scheduled = true;
      // After the turn's I/O callbacks: every publish read in this turn joins the batch.
      setImmediate(this.#flush);
    }
  }

  /** Sends what is queued now (the end-of-turn callback; tests call it directly). */
  flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    let chunk: PendingAppend[] = [];
    let bytes = 0;
    for (const append of queue) {
      if (chunk.length > 0 && (chunk.length >= MAX_BATCH_ENVELOPES || bytes + append.envelope.byteLength > MAX_BATCH_BYTES)) {
        void this.#send(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(append);
      bytes += append.envelope.byteLength;
    }
    if (chunk.length > 0) void this.#send(chunk);
  }

  async #send(chunk: PendingAppend[]): Promise<void> {
    // One group per room and expected incarnation, in order of first appearance; within a
    // group, the order of the appends.
    const groups = new Map<string, Group>();
    let nowMs = 0;
    for (const append of chunk) {
      const id = `${append.room}\n${append.epoch}`;
      let group = groups.get(id);
      if (!group) {
        group = { room: append.room, epoch: append.epoch, appends: [] };
        groups.set(id, group);
      }
      group.appends.push(append);
      nowMs = Math.max(nowMs, append.nowMs);
    }
    const keys: string[] = [];
    const args: ScriptArg[] = [];
    let reply: (string | number)[];
    const cursors = new Map<PendingAppend, number | Error>();
    try {
      args.push(...this.backend.leadingArgs(nowMs), groups.size);
      for (const group of groups.values()) {
        keys.push(...this.backend.keysOf(group.room));
        args.push(group.room, group.epoch, group.appends.length);
        for (const append of group.appends) args.push(append.pinned ? '1' : '0', toBuffer(append.envelope));
      }
      reply = await this.backend.run(keys, args);
    } catch (error) {
      for (const append of chunk) append.reject(error as Error);
      return;
    }
    let index = 0;
    for (const group of groups.values()) {
      const status = String(reply[index++]);
      if (status.startsWith(STALE_MARK)) {
        const error = new StoreUnavailableError('the room’s incarnation changed; nothing stored');
        for (const append of group.appends) cursors.set(append, error);
        this.backend.stale(group.room);
        continue;
      }
      for (const append of group.appends) {
        const cursor = Number(reply[index++]);
        cursors.set(append, Number.isSafeInteger(cursor) && cursor >= 0 ? cursor : new Error('append script returned a malformed cursor'));
      }
    }
    for (const append of chunk) {
      const result = cursors.get(append);
      if (typeof result === 'number') append.resolve(result);
      else append.reject(result ?? new Error('append script returned too few cursors'));
    }
  }
}
