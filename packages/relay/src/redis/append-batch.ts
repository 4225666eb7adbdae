/**
 * Appends batched per event-loop turn: every append a relay process makes in one turn, to
 * any number of rooms, goes to Redis as one script call (APPEND_BATCH_SCRIPT), so the
 * script's fixed cost, the room's metadata reads and writes, trimming, TTLs and the
 * fan-out PUBLISH are paid once per room or per process per turn rather than once per
 * envelope. The turn's envelopes travel as one binary argument (the layout is in
 * scripts.ts): encoding two arguments per envelope and five key names per room was most
 * of what the relay spent on Redis. Appends resolve in the order they were made.
 *
 * A call costs Redis about 45 µs however little it carries (reading the request, running
 * the script, writing the reply): at a chat's rates one event-loop turn rarely holds more
 * than one or two envelopes, so the first append of a batch may wait a little for others
 * (`lingerMs`, like a Kafka producer's linger; the relay's `--batch-delay`, flush-timer.ts). A batch
 * that fills up goes at once.
 */
import type { RoomKey } from '../store.js';
import { StoreUnavailableError } from './connections.js';
import { MIB } from '@sealroom/units';
import { FlushTimer } from '../flush-timer.js';

/** Most envelopes in one script call; a turn with more sends several calls back to back. */
const MAX_BATCH_ENVELOPES = 512;
/** Most envelope bytes in one call: Redis holds a call's arguments and fan-out messages at once. */
const MAX_BATCH_BYTES = 4 * MIB;
/** Keys of one room the room scripts take, in their order (scripts.ts). */
export const ROOM_KEYS_PER_GROUP = 5;
/** Prefix of a group's answer when the room is in another incarnation than expected. */
const STALE_MARK = '!';
/** Room ids and epochs are written with a u8 length: longer ones cannot be batched. */
const MAX_NAME_BYTES = 0xff;
const U8_BYTES = 1;
const U32_BYTES = 4;
/** Per group: u8 room length, u8 epoch length, u32 count. */
const GROUP_HEADER_BYTES = U8_BYTES + U8_BYTES + U32_BYTES;
/** Per envelope: u8 pinned, u32 length. */
const ENTRY_HEADER_BYTES = U8_BYTES + U32_BYTES;

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
  /** Runs APPEND_BATCH_SCRIPT with these arguments (no keys). */
  run(args: ScriptArg[]): Promise<(string | number)[]>;
  /** ARGV[1..10] of the script (common arguments, process id, channel prefix, max pinned, key prefix). */
  leadingArgs(nowMs: number): ScriptArg[];
  /** A room was in another incarnation than its appends expected. */
  stale(room: RoomKey): void;
}

interface Group {
  readonly room: RoomKey;
  readonly epoch: string;
  readonly appends: PendingAppend[];
}

export class AppendBatcher {
  #queue: PendingAppend[] = [];
  #queuedBytes = 0;
  readonly #timer: FlushTimer;

  constructor(
    private readonly backend: BatchBackend,
    /** How long the first append of a batch waits for others, ms (0: to the end of the turn). */
    lingerMs: number,
  ) {
    this.#timer = new FlushTimer(() => this.flush(), lingerMs);
  }

  /** Queues an append for the next call: after the linger, or at once when the batch is full. */
  add(append: PendingAppend): void {
    this.#queue.push(append);
    this.#queuedBytes += append.envelope.byteLength;
    if (this.#queue.length >= MAX_BATCH_ENVELOPES || this.#queuedBytes >= MAX_BATCH_BYTES) {
      this.flush();
      return;
    }
    this.#timer.arm();
  }

  /** Sends what is queued now (the timer's callback; tests call it directly). */
  flush(): void {
    this.#timer.cancel();
    const queue = this.#queue;
    this.#queuedBytes = 0;
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
    let reply: (string | number)[];
    const cursors = new Map<PendingAppend, number | Error>();
    try {
      reply = await this.backend.run([...this.backend.leadingArgs(nowMs), encodeBatch(groups.values())]);
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

/** The batch argument of APPEND_BATCH_SCRIPT (its layout is documented there). */
function encodeBatch(groups: Iterable<Group>): Buffer {
  let size = 0;
  const list = [...groups];
  for (const group of list) {
    if (group.room.length > MAX_NAME_BYTES || group.epoch.length > MAX_NAME_BYTES) throw new RangeError('room id or epoch too long for an append batch');
    size += GROUP_HEADER_BYTES + group.room.length + group.epoch.length;
    for (const append of group.appends) size += ENTRY_HEADER_BYTES + append.envelope.byteLength;
  }
  const batch = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const group of list) {
    // Room ids and epochs are base64url: one byte per character.
    offset = batch.writeUInt8(group.room.length, offset);
    offset += batch.write(group.room, offset, 'latin1');
    offset = batch.writeUInt8(group.epoch.length, offset);
    offset += batch.write(group.epoch, offset, 'latin1');
    offset = batch.writeUInt32BE(group.appends.length, offset);
    for (const append of group.appends) {
      offset = batch.writeUInt8(append.pinned ? 1 : 0, offset);
      offset = batch.writeUInt32BE(append.envelope.byteLength, offset);
      batch.set(append.envelope, offset);
      offset += append.envelope.byteLength;
    }
  }
  return batch;
}
