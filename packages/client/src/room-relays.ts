/**
 * Which relay rooms a Sealroom room is bound to on its relay connection, kept in step with
 * the room record (PROTOCOL C.8): as a member, the current epoch's relay room, the previous
 * epoch's until the next commit, and the lobbies it watches; while knocking, the lobby of
 * its link; once it left or was removed, none. Each binding's cursor lives in the record.
 */
import type { EpochKeys, LobbyKeys } from '@sealroom/protocol';
import { SECOND_MS } from '@sealroom/units';
import type { Clock } from './platform.js';
import type { RelayCursor, RoomRecord } from './records.js';
import type { PublishOptions, RelayPort } from './relay-port.js';
import { RelayRoom, type CursorSlot, type RelayRoomHost, type RelayRoomRole } from './relay-rooms.js';
import type { RoomLog } from './room-log.js';
import type { EnvelopeBytes } from './wire.js';

export class RoomRelays {
  private readonly bound = new Map<string, RelayRoom>();

  constructor(
    private readonly record: RoomRecord,
    private readonly log: RoomLog,
    private readonly port: () => RelayPort,
    private readonly host: RelayRoomHost,
    private readonly clock: Clock,
  ) {}

  /** Binds and unbinds relay rooms so that they match the record. */
  sync(): void {
    const wanted = new Map<string, { keys: EpochKeys | LobbyKeys; role: RelayRoomRole; maxAgeMs?: number }>();
    const r = this.record;
    const log = this.log;
    if (r.status === 'member' && r.epochRoom !== null && log.current !== null) {
      const timer = log.state?.timerSeconds ?? 0;
      // The relay keeps a room no longer than its timer (fixed when the relay room is registered).
      wanted.set(r.epochRoom.room, { keys: log.current, role: 'epoch', ...(timer > 0 ? { maxAgeMs: timer * SECOND_MS } : {}) });
      if (r.previousRoom !== null && log.previous !== null) wanted.set(r.previousRoom.room, { keys: log.previous, role: 'previous' });
    }
    if (r.status === 'member') {
      for (const lobby of r.lobbies) {
        const keys = log.lobbyKeys(lobby.room);
        if (keys !== undefined) wanted.set(lobby.room, { keys, role: 'lobby' });
      }
    }
    if (r.knock !== null) {
      const keys = log.lobbyKeys(r.knock.lobby.room);
      if (keys !== undefined) wanted.set(r.knock.lobby.room, { keys, role: 'lobby' });
    }
    for (const [room, binding] of this.bound) {
      const want = wanted.get(room);
      if (want === undefined) {
        this.bound.delete(room);
        this.port().removeRoom(room);
      } else binding.role = want.role;
    }
    for (const [room, want] of wanted) {
      if (this.bound.has(room)) continue;
      const binding = new RelayRoom(want.keys, want.role, this.slot(room), this.host, this.clock, want.maxAgeMs);
      this.bound.set(room, binding);
      this.port().addRoom(binding);
    }
  }

  /** Leaves every relay room (locked, closed, left or removed). */
  unbindAll(): void {
    for (const room of this.bound.keys()) this.port().removeRoom(room);
    this.bound.clear();
  }

  /** Binds again what the record says (after an unlock). */
  rebind(): void {
    this.bound.clear();
    this.sync();
  }

  has(binding: RelayRoom): boolean {
    return this.bound.get(binding.roomId) === binding;
  }

  current(): RelayRoom | undefined {
    const room = this.record.epochRoom?.room;
    return room === undefined ? undefined : this.bound.get(room);
  }

  ofEpoch(epoch: number): RelayRoom | undefined {
    const r = this.record;
    if (r.epochRoom?.epoch === epoch) return this.current();
    if (r.previousRoom?.epoch === epoch) return this.bound.get(r.previousRoom.room);
    return undefined;
  }

  isReady(relayRoom: string | undefined): boolean {
    return relayRoom !== undefined && this.bound.has(relayRoom) && this.port().isReady(relayRoom);
  }

  /** Publishes, and lets the relay room's cursor step over the acknowledged envelope. */
  async publish(relayRoom: string, envelope: EnvelopeBytes, options?: PublishOptions): Promise<number> {
    const cursor = await this.port().publish(relayRoom, envelope, options);
    this.bound.get(relayRoom)?.ownAck(cursor);
    return cursor;
  }

  /** Where a relay room's cursor lives in the record (looked up each time: the record's fields are replaced). */
  private slot(room: string): CursorSlot {
    const find = (): RelayCursor | undefined => {
      const r = this.record;
      if (r.epochRoom?.room === room) return r.epochRoom;
      if (r.previousRoom?.room === room) return r.previousRoom;
      return r.lobbies.find((l) => l.room === room) ?? (r.knock?.lobby.room === room ? r.knock.lobby : undefined);
    };
    return {
      get: () => find()?.cursor ?? 0,
      set: (cursor) => {
        const position = find();
        if (position !== undefined) position.cursor = cursor;
      },
      epoch: () => find()?.relayEpoch,
      setEpoch: (epoch) => {
        const position = find();
        if (position === undefined) return;
        if (epoch === undefined) delete position.relayEpoch;
        else position.relayEpoch = epoch;
      },
    };
  }
}
