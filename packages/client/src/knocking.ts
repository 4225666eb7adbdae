/**
 * Knocking (PROTOCOL B.14.2, steps 1 and 5): the newcomer's side of joining. It catches the
 * link's lobby up from cursor 0 (an answer to an earlier knock of its own may be there),
 * knocks with a fresh knock id, and waits. A welcome is verified whole — every log entry
 * back to a genesis that hashes to the link's room id, its own place in the last roster,
 * its share of the epoch secret, the adder's signature — before anything of it is used; a
 * decline is only a hint (anyone holding the link could send one) shown while no welcome came.
 *
 * A member whose epoch room the relay lost knocks the same way on its current lobby: a
 * member re-welcomes a current member without a commit, and the welcome's log must extend
 * the log this device holds (else it is a fork, refused with `LOG_FORK`).
 */
import {
  equalBytes,
  fromBase64Url,
  openDecline,
  openWelcome,
  peekSealed,
  sealKnock,
  toBase64Url,
  type LobbyKeys,
  type OpenedWelcome,
  type UnlockedIdentity,
} from '@sealroom/protocol';
import type { EventHub } from './events.js';
import type { MyKnock, RoomRecord } from './records.js';
import { timerMs } from './membership.js';
import type { RoomLog } from './room-log.js';
import type { Roster } from './roster.js';
import type { TimelineWriter } from './timeline.js';
import type { Warn } from './warnings.js';

/** Knock ids of mine remembered: an answer to any of them is mine. */
const MAX_KNOCK_IDS = 8;

export interface KnockingPort {
  readonly me: UnlockedIdentity;
  readonly myId: string;
  readonly log: RoomLog;
  readonly roster: Roster;
  readonly timeline: TimelineWriter;
  readonly events: EventHub;
  readonly warn: Warn;
  now(): number;
  publish(lobby: string, envelope: Uint8Array): Promise<number>;
  persist(): Promise<void>;
  syncRelays(): void;
  /** I became a member (or caught up by a re-welcome): lobbies, commits, the outbox go on. */
  welcomed(first: boolean, by: string): Promise<void>;
  emitRoom(): void;
}

export class Knocking {
  /** Whether I knocked on this connection's lobby already (one knock per session start). */
  private knocked = false;

  constructor(
    private readonly port: KnockingPort,
    private readonly record: RoomRecord,
  ) {}

  /** Starts knocking on the lobby of `lobbyKeys` (a newcomer's link, or a member's current link). */
  begin(lobbyKeys: LobbyKeys): void {
    this.record.knock = { knockIds: [], lobby: { room: lobbyKeys.relayRoomIdB64, cursor: 0 }, declined: null };
    this.knocked = false;
  }

  /** The lobby's connection dropped: a relay that lost it may have lost my knock too, so knock again when it is back. */
  onDisconnected(): void {
    this.knocked = false;
  }

  get knock(): MyKnock | null {
    return this.record.knock;
  }

  /** The lobby is caught up: knock now, unless I did on this connection already. Caller holds the lock. */
  async onReady(): Promise<void> {
    const knock = this.record.knock;
    if (knock === null || this.knocked) return;
    const keys = this.lobbyKeys();
    if (keys === undefined) return;
    this.knocked = true;
    const { envelope, knockId } = await sealKnock({ lobbyKeys: keys, me: this.port.me });
    knock.knockIds.push(toBase64Url(knockId));
    knock.knockIds.splice(0, Math.max(0, knock.knockIds.length - MAX_KNOCK_IDS));
    await this.port.persist();
    await this.port.publish(knock.lobby.room, envelope).catch(() => {
      this.knocked = false; // knock again at the next ready
    });
  }

  /** An envelope in the lobby I knock in. Caller holds the lock. */
  async onEnvelope(envelope: Uint8Array): Promise<void> {
    const knock = this.record.knock;
    const keys = this.lobbyKeys();
    if (knock === null || keys === undefined) return;
    const peeked = await peekSealed(keys, envelope);
    if (!peeked.ok) return;
    const peek = peeked.peek;
    const knockId = peek.knockId === undefined ? undefined : knock.knockIds.find((id) => equalBytes(fromBase64Url(id)!, peek.knockId!));
    if (knockId === undefined) return; // someone else's knock, or an answer to it
    if (peek.type === 'decline') {
      const opened = await openDecline({ lobbyKeys: keys, envelope: peek });
      if (!opened.ok || knock.declined !== null) return;
      knock.declined = opened.reason;
      await this.port.persist();
      return this.port.emitRoom();
    }
    if (peek.type !== 'welcome') return;
    const opened = await openWelcome({
      lobbyKeys: keys,
      me: this.port.me,
      knockId: fromBase64Url(knockId)!,
      roomId: fromBase64Url(this.record.id)!,
      envelope: peek,
    });
    if (!opened.ok) return this.port.warn('bad-message', null, opened.code, 'a welcome failed verification');
    await this.adopt(opened);
  }

  private lobbyKeys(): LobbyKeys | undefined {
    const knock = this.record.knock;
    return knock === null ? undefined : this.port.log.lobbyKeys(knock.lobby.room);
  }

  /** A verified welcome: the room at its current epoch. */
  private async adopt(opened: OpenedWelcome): Promise<void> {
    const { log, roster } = this.port;
    const r = this.record;
    const held = log.entries;
    // What this device already holds of the log (a rejoin, a re-welcome) must be a prefix of it.
    const extends_ = held.every((entry, i) => opened.entries[i] !== undefined && equalBytes(entry, opened.entries[i]!));
    if (!extends_) return this.port.warn('bad-message', opened.adder, 'LOG_FORK', 'a welcome carries a log that does not extend the one held here');
    const first = r.status !== 'member';
    if (!first && opened.state.epoch <= (log.state?.epoch ?? -1)) {
      // A re-welcome at my own epoch: nothing was missed.
      r.knock = null;
      await this.port.persist();
      this.port.syncRelays();
      return this.port.welcomed(false, opened.adder);
    }
    await log.adoptWelcome(opened);
    r.name = opened.state.name;
    r.disappearingMs = timerMs(opened.state.timerSeconds);
    // The timeline says who let me in before the room reads as active, so nobody sees the
    // room open without it.
    if (first) await this.port.timeline.add({ kind: 'system', event: { type: 'joined-room', by: opened.adder } });
    r.status = 'member';
    r.removedBy = null;
    r.knock = null;
    r.epochRoom = { room: opened.epochKeys.relayRoomIdB64, epoch: opened.state.epoch, cursor: 0, joinCursor: 0 };
    r.previousRoom = null;
    const now = this.port.now();
    for (const member of opened.state.members) roster.markSeen(member.id, now);
    if (first) r.joinedAt = now;
    // The log record first: a room record naming an epoch the log lacks could not be loaded.
    await log.persist();
    await this.port.persist();
    this.port.syncRelays();
    await this.port.welcomed(first, opened.adder);
  }
}
