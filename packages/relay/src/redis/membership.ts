/**
 * The rooms this process has members in, as Redis knows them: each is registered in the
 * room's `procs` hash (REGISTER_SCRIPT), which makes every append to the room reach this
 * process's channel from then on (fanout.ts), and tells this process the incarnation its
 * members are in. What keeps the feed complete and the incarnation true:
 *
 * - **Feed broken.** When the subscriber connection drops, messages published meanwhile are
 *   gone, and other processes take this one off a room once a PUBLISH reaches no one. Once
 *   both connections are back, the channel is subscribed again, every room registered
 *   again, and the relay told each room's head (RoomStore.onRoomState) so it reads what it
 *   missed from the stream.
 * - **Incarnation changed.** A registration, an append or a fan-out message that finds
 *   another epoch than the members here were admitted to means Redis lost the room's
 *   history. If the admission key is gone too, the room is registered again (CLAIM) under
 *   the key and retention age the members here were admitted with; then the relay is told
 *   the new epoch. If another key holds the room by then, it is told the room is lost.
 * - **History rolled back.** A Redis that restarts from an append-only file written with
 *   `appendfsync everysec` may have lost its last second: the room keeps its epoch but its
 *   head is below cursors this process already delivered or had acknowledged, and new
 *   appends would reuse them (members would take them for duplicates). A registration
 *   that finds the head below the highest cursor seen here starts a new incarnation
 *   (RESTART_SCRIPT), and the relay is told the new epoch, so members see a gap.
 * - A process that dies needs no clean-up: the first PUBLISH to its channel that reaches
 *   no one takes it off the room.
 */
import type { RemoteEnvelopeListener, RoomKey, RoomStateListener } from '../store.js';
import { StoreUnavailableError } from './connections.js';
import { parseFanout, type FanoutSection } from './fanout.js';

/** A room's registration as REGISTER_SCRIPT answers it. */
export interface Registration {
  readonly epoch: string;
  readonly head: number;
  /** The retention age the room was registered with (undefined: the relay's limit). */
  readonly maxAgeMs: number | undefined;
  readonly key: Buffer;
}

/** What membership needs from Redis. */
export interface MembershipBackend {
  /** Both connections are ready and the store is open. */
  canResync(): boolean;
  /** SUBSCRIBE to this process's channel; resolves once Redis has confirmed it. */
  listen(): Promise<unknown>;
  /** REGISTER_SCRIPT: undefined when the room has no admission key. */
  register(room: RoomKey): Promise<Registration | undefined>;
  /** Takes this process off the room's `procs`. */
  unregister(room: RoomKey): Promise<unknown>;
  /** Registers the room (set-if-absent) as `claimAdmissionKey`; resolves with the key registered afterwards. */
  claim(room: RoomKey, key: Uint8Array, maxAgeMs: number | undefined): Promise<Uint8Array>;
  /**
   * Starts a new incarnation of the room (same key and retention age) if it is still in
   * `epoch` with a head below `seen`: its history went back (RESTART_SCRIPT).
   */
  restart(room: RoomKey, epoch: string, seen: number): Promise<unknown>;
}

/** Sections held per room while its first registration is under way; past it the oldest go (the relay reads holes). */
const EARLY_SECTIONS_MAX = 1_000;

interface Member {
  refs: number;
  /** The incarnation the members here are in; '' until the first registration answered. */
  epoch: string;
  /** Highest cursor of that incarnation this process knows existed (registered, fanned out or appended). */
  seen: number;
  key: Buffer | undefined;
  maxAgeMs: number | undefined;
  /** Registered since the feed last broke. */
  registered: boolean;
  checking: boolean;
  recheck: boolean;
  /** Fan-out sections that came before the first registration answered. */
  early: FanoutSection[] | undefined;
  /** The first registration, while it runs. */
  registering: Promise<void> | undefined;
}

function sameKey(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

export class Membership {
  readonly #rooms = new Map<RoomKey, Member>();
  #envelopes: RemoteEnvelopeListener | undefined;
  #state: RoomStateListener | undefined;
  /** The channel is subscribed and no drop was seen since. */
  #feedUp = false;
  #resyncing = false;
  #resyncAgain = false;

  constructor(private readonly backend: MembershipBackend) {}

  onEnvelope(listener: RemoteEnvelopeListener): void {
    this.#envelopes = listener;
  }

  onState(listener: RoomStateListener): void {
    this.#state = listener;
  }

  has(room: RoomKey): boolean {
    return this.#rooms.has(room);
  }

  rooms(): IterableIterator<RoomKey> {
    return this.#rooms.keys();
  }

  /** The incarnation an append to the room is meant for ('' when no member is here). */
  expectedEpoch(room: RoomKey): string {
    return this.#rooms.get(room)?.epoch ?? '';
  }

  /** An append of this process, made for `epoch`, took `cursor`. */
  saw(room: RoomKey, epoch: string, cursor: number): void {
    const member = this.#rooms.get(room);
    if (member !== undefined && member.epoch === epoch && cursor > member.seen) member.seen = cursor;
  }

  /** The channel was subscribed at start-up. */
  feedStarted(): void {
    this.#feedUp = true;
  }

  /**
   * Takes one more reference; the first registers the room. Rejects when Redis fails or the
   * room is unknown; the reference stays until {@link release} (the relay always releases).
   */
  async subscribe(room: RoomKey): Promise<void> {
    const existing = this.#rooms.get(room);
    if (existing) {
      existing.refs += 1;
      await existing.registering;
      if (existing.epoch === '') throw new StoreUnavailableError('the room is not registered');
      return;
    }
    const member: Member = {
      refs: 1,
      epoch: '',
      seen: 0,
      key: undefined,
      maxAgeMs: undefined,
      registered: false,
      checking: false,
      recheck: false,
      early: [],
      registering: undefined,
    };
    this.#rooms.set(room, member);
    member.registering = this.#registerFirst(room, member);
    try {
      await member.registering;
    } finally {
      member.registering = undefined;
    }
  }

  async #registerFirst(room: RoomKey, member: Member): Promise<void> {
    const registration = await this.backend.register(room);
    if (this.#rooms.get(room) !== member) return;
    if (registration === undefined) throw new StoreUnavailableError('the room is not registered');
    this.#adopt(member, registration);
    const early = member.early ?? [];
    member.early = undefined;
    for (const section of early) this.#deliver(room, member, section);
  }

  /** Drops one reference; the last takes this process off the room. */
  release(room: RoomKey): void {
    const member = this.#rooms.get(room);
    if (!member) return;
    member.refs -= 1;
    if (member.refs > 0) return;
    this.#rooms.delete(room);
    this.backend.unregister(room).catch(() => undefined);
  }

  /** A message on this process's channel. */
  onMessage(message: Buffer): void {
    const sections = parseFanout(message);
    if (sections === undefined) {
      // Something was lost and nothing says which rooms: every room reads what it missed.
      this.onFeedLost();
      void this.resync();
      return;
    }
    for (const section of sections) {
      const member = this.#rooms.get(section.room);
      if (!member) continue;
      if (member.early) {
        if (member.early.length >= EARLY_SECTIONS_MAX) member.early.shift();
        member.early.push(section);
        continue;
      }
      this.#deliver(section.room, member, section);
    }
  }

  /** The subscriber connection dropped: every room must register again once it is back. */
  onFeedLost(): void {
    this.#feedUp = false;
    for (const member of this.#rooms.values()) member.registered = false;
  }

  /**
   * Once both connections are up: subscribes the channel again, registers every room that
   * needs it and tells the relay where each stands. Safe to call at any time (sweeps do).
   */
  async resync(): Promise<void> {
    if (!this.backend.canResync()) return;
    if (this.#resyncing) {
      this.#resyncAgain = true;
      return;
    }
    this.#resyncing = true;
    try {
      if (!this.#feedUp) {
        await this.backend.listen();
        this.#feedUp = true;
      }
      const pending = [...this.#rooms].filter(([, member]) => !member.registered && member.early === undefined);
      await Promise.all(pending.map(([room, member]) => this.#refresh(room, member).catch(() => undefined)));
    } catch {
      // Connections dropped again: the next 'ready' or sweep tries once more.
    } finally {
      this.#resyncing = false;
      if (this.#resyncAgain) {
        this.#resyncAgain = false;
        void this.resync();
      }
    }
  }

  /** Something said the room is in another incarnation than its members here: find out. */
  check(room: RoomKey): void {
    const member = this.#rooms.get(room);
    if (!member || member.early) return;
    if (member.checking) {
      member.recheck = true;
      return;
    }
    member.checking = true;
    this.#refresh(room, member)
      .catch(() => {
        member.registered = false;
      })
      .finally(() => {
        member.checking = false;
        if (member.recheck && this.#rooms.get(room) === member) {
          member.recheck = false;
          this.check(room);
        }
      });
  }

  /** Forgets every room (the store is closing). */
  clear(): void {
    this.#rooms.clear();
  }

  #adopt(member: Member, registration: Registration): void {
    member.seen = registration.epoch === member.epoch ? Math.max(member.seen, registration.head) : registration.head;
    member.epoch = registration.epoch;
    member.key = registration.key;
    member.maxAgeMs = registration.maxAgeMs ?? member.maxAgeMs;
    // Registered while the channel is down: registered again once it is back.
    member.registered = this.#feedUp;
  }

  #deliver(room: RoomKey, member: Member, section: FanoutSection): void {
    if (section.epoch !== member.epoch) {
      this.check(room);
      return;
    }
    for (const entry of section.entries) {
      if (entry.cursor > member.seen) member.seen = entry.cursor;
      this.#envelopes?.(room, entry.cursor, entry.envelope);
    }
  }

  /** Registers the room again and tells the relay where it stands (see the file's comment). */
  async #refresh(room: RoomKey, member: Member): Promise<void> {
    let registration = await this.backend.register(room);
    if (this.#rooms.get(room) !== member) return;
    if (registration === undefined) {
      // History and admission key are gone: register the room again under the key the
      // members here were admitted with.
      if (member.key === undefined) throw new StoreUnavailableError('the room is not registered');
      const key = await this.backend.claim(room, member.key, member.maxAgeMs);
      if (this.#rooms.get(room) !== member) return;
      if (!sameKey(key, member.key)) {
        this.#lost(room, member);
        return;
      }
      registration = await this.backend.register(room);
      if (this.#rooms.get(room) !== member) return;
      if (registration === undefined) throw new StoreUnavailableError('the room vanished while it was registered again');
    }
    if (!sameKey(registration.key, member.key)) {
      this.#lost(room, member);
      return;
    }
    if (registration.epoch === member.epoch && registration.head < member.seen) {
      // Cursors this process delivered or had acknowledged are gone from the room and would
      // be handed out again under the same epoch: start a new incarnation instead.
      await this.backend.restart(room, member.epoch, member.seen);
      if (this.#rooms.get(room) !== member) return;
      registration = await this.backend.register(room);
      if (this.#rooms.get(room) !== member) return;
      if (registration === undefined) throw new StoreUnavailableError('the room vanished while it was restarted');
      if (!sameKey(registration.key, member.key)) {
        this.#lost(room, member);
        return;
      }
    }
    this.#adopt(member, registration);
    this.#state?.(room, { epoch: registration.epoch, head: registration.head });
  }

  /** Registered again under another key: nobody admitted here is admitted any more. */
  #lost(room: RoomKey, member: Member): void {
    // Appends still on their way must not land in the new owner's incarnation.
    member.epoch = '!';
    member.registered = true;
    this.#state?.(room, { epoch: undefined, head: 0 });
  }
}
