/**
 * The fan-out between relay processes: each process listens on one pub/sub channel of its
 * own, `<prefix>:proc:<process id>`, and each room lists, in its `procs` hash, the
 * processes with members in it. The append script (scripts.ts) sends every other listed
 * process one message per call, holding the new envelopes of all its rooms that call
 * touched. So a process receives only rooms it has members in, never its own envelopes,
 * and, since Redis runs scripts one at a time and delivers a connection's messages in
 * order, each room's envelopes in cursor order.
 *
 * A message is a sequence of room sections, each:
 *
 *   u8 room id length ‖ room id (base64url) ‖ u8 epoch length ‖ epoch ‖ u32 count ‖
 *   count × ( f64 cursor ‖ u32 envelope length ‖ envelope )
 *
 * big-endian (Lua's `struct.pack('>B')`, `'>I4'`, `'>d'`; a double holds every cursor up to
 * 2^53 − 1 exactly).
 */
import { randomBytes } from 'node:crypto';

/** Random bytes of a process id (base64url in keys and channel names). */
const PROCESS_ID_BYTES = 16;
const U8_BYTES = 1;
const U32_BYTES = 4;
const F64_BYTES = 8;
const ENTRY_HEADER_BYTES = F64_BYTES + U32_BYTES;

/** A fresh random id for this relay process. */
export function newProcessId(): string {
  return randomBytes(PROCESS_ID_BYTES).toString('base64url');
}

export interface FanoutSection {
  readonly room: string;
  readonly epoch: string;
  readonly entries: readonly { readonly cursor: number; readonly envelope: Uint8Array }[];
}

/**
 * The sections of a message, envelopes as views into it (no copy). Undefined when the
 * message is malformed anywhere: the relay then reads what it missed from the store, as
 * after any hole.
 */
export function parseFanout(message: Buffer): FanoutSection[] | undefined {
  const sections: FanoutSection[] = [];
  let offset = 0;
  const fits = (bytes: number): boolean => offset + bytes <= message.length;
  while (offset < message.length) {
    if (!fits(U8_BYTES)) return undefined;
    const roomLength = message.readUInt8(offset);
    offset += U8_BYTES;
    if (!fits(roomLength + U8_BYTES)) return undefined;
    const room = message.toString('latin1', offset, offset + roomLength);
    offset += roomLength;
    const epochLength = message.readUInt8(offset);
    offset += U8_BYTES;
    if (!fits(epochLength + U32_BYTES)) return undefined;
    const epoch = message.toString('latin1', offset, offset + epochLength);
    offset += epochLength;
    const count = message.readUInt32BE(offset);
    offset += U32_BYTES;
    const entries: { cursor: number; envelope: Uint8Array }[] = [];
    for (let index = 0; index < count; index += 1) {
      if (!fits(ENTRY_HEADER_BYTES)) return undefined;
      const cursor = message.readDoubleBE(offset);
      const length = message.readUInt32BE(offset + F64_BYTES);
      offset += ENTRY_HEADER_BYTES;
      if (!Number.isSafeInteger(cursor) || cursor < 1 || !fits(length)) return undefined;
      entries.push({ cursor, envelope: message.subarray(offset, offset + length) });
      offset += length;
    }
    sections.push({ room, epoch, entries });
  }
  return sections;
}

/** Builds a message as the append script does (tests and tools; the relay never sends one). */
export function encodeFanout(sections: readonly FanoutSection[]): Buffer {
  const parts: Buffer[] = [];
  for (const section of sections) {
    const room = Buffer.from(section.room, 'latin1');
    const epoch = Buffer.from(section.epoch, 'latin1');
    const head = Buffer.alloc(U8_BYTES + room.length + U8_BYTES + epoch.length + U32_BYTES);
    let offset = head.writeUInt8(room.length, 0);
    offset += room.copy(head, offset);
    offset = head.writeUInt8(epoch.length, offset);
    offset += epoch.copy(head, offset);
    head.writeUInt32BE(section.entries.length, offset);
    parts.push(head);
    for (const entry of section.entries) {
      const entryHead = Buffer.alloc(ENTRY_HEADER_BYTES);
      entryHead.writeDoubleBE(entry.cursor, 0);
      entryHead.writeUInt32BE(entry.envelope.byteLength, F64_BYTES);
      parts.push(entryHead, Buffer.from(entry.envelope));
    }
  }
  return Buffer.concat(parts);
}
