/**
 * A relay store that keeps a copy of every envelope it was ever given, whatever retention
 * later drops: "every byte the relay ever saw", for tests that check what a removed member
 * (or anyone else) could do with it.
 */
import { MemoryRoomStore } from '@sealroom/relay';

export interface SeenEnvelope {
  /** Relay room id, base64url. */
  room: string;
  cursor: number;
  envelope: Uint8Array;
}

export class RecordingStore extends MemoryRoomStore {
  readonly seen: SeenEnvelope[] = [];

  override async append(room: Parameters<MemoryRoomStore['append']>[0], envelope: Uint8Array, nowMs: number): Promise<number> {
    const cursor = await super.append(room, envelope, nowMs);
    this.seen.push({ room: String(room), cursor, envelope: envelope.slice() });
    return cursor;
  }

  /** Pinned publishes (membership commits) are seen alike. */
  override async appendPinned(
    room: Parameters<MemoryRoomStore['appendPinned']>[0],
    envelope: Uint8Array,
    nowMs: number,
  ): ReturnType<MemoryRoomStore['appendPinned']> {
    const outcome = await super.appendPinned(room, envelope, nowMs);
    if (outcome.ok) this.seen.push({ room: String(room), cursor: outcome.cursor, envelope: envelope.slice() });
    return outcome;
  }
}
