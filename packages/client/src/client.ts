/**
 * The client: identity lifecycle, the vault, one relay connection per relay endpoint, and
 * the room sessions. Everything behind the public {@link SealroomClient} interface.
 */
import {
  OPEN_LINK,
  changePassword as rewrapIdentity,
  checkDisplayName,
  createRoom as createGenesis,
  formatFingerprint,
  fromUtf8,
  generateIdentity,
  parseInvite,
  readWrappedIdentity,
  toBase64Url,
  unwrapIdentity,
  utf8,
  wrapIdentity,
  type KdfOptions,
  type UnlockedIdentity,
  type WrappedIdentity,
} from '@sealroom/protocol';
import type {
  ClientEvent,
  ClientEventMap,
  ClientEventType,
  ConnectionState,
  CreateIdentityOptions,
  ExportBackupOptions,
  IdentityInfo,
  IdentityState,
  ImportBackupOptions,
  RoomHandle,
  RoomSummary,
  SealroomClient,
  SealroomClientOptions,
  Unsubscribe,
} from './api.js';
import { systemClock } from './clock.js';
import { SealroomClientError } from './errors.js';
import { EventHub } from './events.js';
import { AsyncLock } from './lock.js';
import { linkTag } from './membership.js';
import { OutdatedRoom } from './outdated-room.js';
import { KEY_IDENTITY, KEY_ROOM_INDEX, ROOM_RECORD_VERSION, newRoomRecord, roomKey, type RoomRecord } from './records.js';
import { RoomLog } from './room-log.js';
import { RoomSession } from './room-session.js';
import { loadNameData } from './names.js';
import { httpBase, toWebSocketUrl } from './relay-url.js';
import { RelayConnections } from './relay-connections.js';
import { atRestCipher, Vault } from './vault.js';
import { inviteFor } from './invite.js';

/** A member counts as online this long after its last presence beat (two missed 30 s beats, plus slack). */
const DEFAULT_PRESENCE_TIMEOUT_MS = 75_000;

interface Unlocked {
  identity: UnlockedIdentity;
  wrapped: WrappedIdentity;
  vault: Vault;
}

class Client implements SealroomClient {
  private readonly events = new EventHub();
  private readonly clock;
  private readonly connections: RelayConnections;
  private readonly sessions = new Map<string, RoomSession>();
  /** Rooms stored by an older version (protocol v1): listed, readable, inactive. */
  private readonly outdated = new Map<string, OutdatedRoom>();
  private unlocked: Unlocked | undefined;
  /**
   * Create, import, unlock, lock and close run one at a time. Two overlapping unlocks (a
   * double click, a re-run UI effect) would otherwise each open every room: the second set of
   * sessions replaces the first in `sessions` while the transport stays bound to the first,
   * so the handles in use go deaf and two copies of each room's sender-key state diverge.
   */
  private readonly lifecycle = new AsyncLock();
  private closed = false;
  private readonly kdf: KdfOptions;
  private readonly receiptSettings: { readReceipts: boolean }; // shared by every room session: a change applies to all at once

  constructor(private readonly options: SealroomClientOptions) {
    this.clock = options.clock ?? systemClock;
    this.connections = new RelayConnections(options, this.clock, this.events);
    this.receiptSettings = { readReceipts: options.readReceipts ?? true };
    const weak = options.dangerousTestOnlyPbkdf2Iterations;
    this.kdf = weak === undefined ? {} : { iterations: weak, dangerouslyAllowWeakKdfForTests: true };
  }

  // ---- identity ---------------------------------------------------------------------

  async identityState(): Promise<IdentityState> {
    if (this.unlocked !== undefined) return 'unlocked';
    return (await this.options.storage.get(KEY_IDENTITY)) === undefined ? 'none' : 'locked';
  }

  identity(): IdentityInfo | null {
    return this.unlocked === undefined ? null : this.info(this.unlocked.identity);
  }

  private info(identity: UnlockedIdentity): IdentityInfo {
    return { displayName: identity.public.displayName, identityId: toBase64Url(identity.public.id), fingerprint: formatFingerprint(identity.public.id) };
  }

  createIdentity(options: CreateIdentityOptions): Promise<IdentityInfo> {
    return this.lifecycle.run(async () => {
      this.assertOpen();
      if ((await this.options.storage.get(KEY_IDENTITY)) !== undefined) throw new SealroomClientError('IDENTITY_EXISTS');
      if (checkDisplayName(options.displayName) !== undefined) throw new SealroomClientError('BAD_DISPLAY_NAME');
      const generated = await generateIdentity(options.displayName, {
        onProgress: (p) => options.onProgress?.({ step: p.step, fraction: p.completed / (p.total + 1) }),
      });
      const { wrapped, unlocked } = await wrapIdentity(generated, options.password, this.kdf);
      await this.options.storage.set(KEY_IDENTITY, utf8(JSON.stringify(wrapped)));
      options.onProgress?.({ step: 'done', fraction: 1 });
      return this.becomeUnlocked(unlocked, wrapped);
    });
  }

  private async storedWrapped(): Promise<WrappedIdentity> {
    const bytes = await this.options.storage.get(KEY_IDENTITY);
    if (bytes === undefined) throw new SealroomClientError('NO_IDENTITY');
    let json: unknown;
    try {
      json = JSON.parse(fromUtf8(bytes) ?? '');
    } catch {
      throw new SealroomClientError('STORAGE_CORRUPT');
    }
    const read = readWrappedIdentity(json);
    if (!read.ok) throw new SealroomClientError('STORAGE_CORRUPT', read.code);
    return read.wrapped;
  }

  unlock(password: string): Promise<IdentityInfo> {
    return this.lifecycle.run(async () => {
      this.assertOpen();
      if (this.unlocked !== undefined) return this.info(this.unlocked.identity);
      const wrapped = await this.storedWrapped();
      const opened = await unwrapIdentity(wrapped, password);
      if (!opened.ok) throw new SealroomClientError(opened.code === 'WRONG_PASSWORD' ? 'WRONG_PASSWORD' : 'STORAGE_CORRUPT', opened.code);
      return this.becomeUnlocked(opened.unlocked, wrapped);
    });
  }

  private async becomeUnlocked(identity: UnlockedIdentity, wrapped: WrappedIdentity): Promise<IdentityInfo> {
    const vault = new Vault(this.options.storage, atRestCipher(identity.storageKey));
    this.unlocked = { identity, wrapped, vault };
    const index = (await vault.get<string[]>(KEY_ROOM_INDEX)) ?? [];
    for (const roomId of index) {
      const record = await vault.get<RoomRecord | { v: number }>(roomKey(roomId));
      if (record === undefined) continue;
      if (record.v === ROOM_RECORD_VERSION) await this.startSession(record as RoomRecord);
      else
        this.outdated.set(
          roomId,
          await OutdatedRoom.open({ vault, events: this.events, clock: this.clock, ownerId: this.info(identity).identityId }, roomId, record),
        );
    }
    const info = this.info(identity);
    this.events.emit('identity', { state: 'unlocked', identity: info });
    return info;
  }

  lock(): Promise<void> {
    return this.lifecycle.run(async () => {
      await this.shutdown();
      this.events.emit('identity', { state: 'locked', identity: null });
    });
  }

  private async shutdown(): Promise<void> {
    const unlocked = this.unlocked;
    if (unlocked === undefined) return;
    await Promise.all([...this.sessions.values()].map((session) => session.goOffline()));
    this.connections.closeAll();
    await Promise.all([...this.sessions.values()].map((session) => session.kill()));
    await unlocked.vault.flush();
    this.sessions.clear();
    this.outdated.clear();
    this.unlocked = undefined;
  }

  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    const wrapped = await this.storedWrapped();
    const changed = await rewrapIdentity(wrapped, oldPassword, newPassword, this.kdf);
    if (!changed.ok) throw new SealroomClientError(changed.code === 'WRONG_PASSWORD' ? 'WRONG_PASSWORD' : 'STORAGE_CORRUPT', changed.code);
    await this.options.storage.set(KEY_IDENTITY, utf8(JSON.stringify(changed.wrapped)));
    if (this.unlocked !== undefined) this.unlocked.wrapped = changed.wrapped;
  }

  async exportBackup(password: string, options: ExportBackupOptions = {}): Promise<Uint8Array> {
    // Backup code loads on first use: most sessions never make one (the web app's first download stays small).
    const { makeBackupFile } = await import('./backup-io.js');
    const u = this.unlocked;
    return makeBackupFile(
      await this.storedWrapped(),
      password,
      this.kdf,
      u && { vault: u.vault, storageKey: u.identity.storageKey },
      this.clock.now(),
      options,
    );
  }

  importBackup(backup: Uint8Array, password: string, options: ImportBackupOptions = {}): Promise<IdentityInfo> {
    return this.lifecycle.run(async () => {
      this.assertOpen();
      const { openBackupForImport, restoreRooms } = await import('./backup-io.js');
      const stored = (await this.options.storage.get(KEY_IDENTITY)) === undefined ? undefined : await this.storedWrapped();
      const { opened, vault } = await openBackupForImport(this.options.storage, stored, backup, password, options.onProgress);
      await this.shutdown();
      await restoreRooms(vault, opened.rooms, this.clock.now(), options.onProgress);
      if (stored === undefined) await this.options.storage.set(KEY_IDENTITY, utf8(JSON.stringify(opened.wrapped)));
      return this.becomeUnlocked(opened.unlocked, stored ?? opened.wrapped);
    });
  }

  // ---- rooms --------------------------------------------------------------------------

  private requireUnlocked(): Unlocked {
    this.assertOpen();
    if (this.unlocked === undefined) throw new SealroomClientError('LOCKED');
    return this.unlocked;
  }

  async createRoom(options: { name: string; relayUrl?: string }): Promise<RoomHandle> {
    const { identity, vault } = this.requireUnlocked();
    let created: Awaited<ReturnType<typeof createGenesis>>;
    try {
      // The genesis binds me as creator; the room id is its hash (PROTOCOL B.14.1).
      created = await createGenesis({ me: identity, name: options.name, timerSeconds: 0, linkPolicy: OPEN_LINK });
    } catch {
      throw new SealroomClientError('BAD_ROOM_NAME');
    }
    const now = this.clock.now();
    const record = newRoomRecord({
      id: toBase64Url(created.roomId),
      relayUrl: toWebSocketUrl(options.relayUrl ?? this.options.relayUrl),
      appUrl: this.appUrl(options.relayUrl),
      name: options.name,
      now,
    });
    record.status = 'member';
    record.epochRoom = { room: created.epochKeys.relayRoomIdB64, epoch: 0, cursor: 0, joinCursor: 0 };
    record.lobbies = [{ room: created.lobbyKeys.relayRoomIdB64, cursor: 0 }];
    record.memberSince[toBase64Url(identity.public.id)] = now;
    const log = await RoomLog.load(vault, record.id);
    await log.adoptGenesis(created);
    await log.persist();
    const room = await this.addRoom(record);
    // The creator's timeline starts with the room, as a joiner's starts with being let in.
    await this.sessions.get(record.id)?.parts.timeline.add({ kind: 'system', event: { type: 'room-created' } });
    return room;
  }

  async joinRoom(inviteLink: string): Promise<RoomHandle> {
    const { vault } = this.requireUnlocked();
    const link = inviteLink.startsWith('#') ? `${this.appUrl()}${inviteLink}` : inviteLink;
    const parsed = parseInvite(link);
    if (!parsed.ok) throw new SealroomClientError(parsed.code === 'OLD_VERSION' ? 'OLD_INVITE' : 'BAD_INVITE', parsed.code);
    const { invite, baseUrl } = parsed;
    const id = toBase64Url(invite.roomId);
    const existing = this.sessions.get(id);
    if (existing !== undefined && (existing.record.status === 'member' || existing.record.status === 'knocking')) return existing;
    // An old link of a room I was removed from: it was reset with my removal and admits no one.
    if (existing?.record.status === 'removed' && existing.record.formerLinks.includes(await linkTag(invite.linkSecret))) {
      throw new SealroomClientError('REMOVED_FROM_ROOM');
    }
    const record = newRoomRecord({
      id,
      relayUrl: toWebSocketUrl(invite.relayUrl ?? baseUrl),
      appUrl: baseUrl,
      name: invite.roomName ?? 'Room',
      now: this.clock.now(),
    });
    if (existing !== undefined) {
      // Joining again after leaving or being removed: the earlier timeline stays and is numbered
      // on from where it ended (restarting at 1 would overwrite it in storage), the trust marks
      // stay, and the log held so far must be extended by the welcome (knocking.ts).
      Object.assign(record, {
        nextItemSeq: existing.record.nextItemSeq,
        nextOutboxSeq: existing.record.nextOutboxSeq,
        nextSentSeq: existing.record.nextSentSeq,
        verified: existing.record.verified,
        formerlyVerified: existing.record.formerlyVerified,
        formerLinks: existing.record.formerLinks,
        memberSince: existing.record.memberSince,
        seen: existing.record.seen,
        seenControl: existing.record.seenControl,
        joinedAt: existing.record.joinedAt,
      });
      // The new session takes over the timeline (and its expiry); the old one must let go.
      await existing.kill();
    }
    const log = await RoomLog.load(vault, id);
    const lobby = await log.setKnockLink(invite.linkSecret);
    await log.persist();
    record.knock = { knockIds: [], lobby: { room: lobby.relayRoomIdB64, cursor: 0 }, declined: null };
    return this.addRoom(record);
  }

  private async addRoom(record: RoomRecord): Promise<RoomHandle> {
    const { vault } = this.requireUnlocked();
    await vault.set(roomKey(record.id), record);
    const index = (await vault.get<string[]>(KEY_ROOM_INDEX)) ?? [];
    if (!index.includes(record.id)) await vault.set(KEY_ROOM_INDEX, [...index, record.id]);
    const session = await this.startSession(record);
    session.emitRoom();
    return session;
  }

  private async startSession(record: RoomRecord): Promise<RoomSession> {
    // A room compares its members' names from the moment it opens.
    await loadNameData();
    const { identity, vault } = this.requireUnlocked();
    const connection = this.connections.for(record.relayUrl);
    const session = await RoomSession.open(
      {
        me: identity,
        vault,
        events: this.events,
        clock: this.clock,
        relay: connection,
        presenceTimeoutMs: this.options.presenceTimeoutMs ?? DEFAULT_PRESENCE_TIMEOUT_MS,
        receiptSettings: this.receiptSettings,
        onInactive: () => {
          // A socket admitted to no room would only be cut by the relay's handshake timer
          // and reconnect forever: close it; a later room on this relay opens a new one.
          if (!connection.hasRooms()) this.connections.drop(record.relayUrl);
        },
      },
      record,
    );
    session.inviteFormatter = inviteFor;
    this.sessions.set(record.id, session);
    return session;
  }

  private appUrl(relayUrl?: string): string {
    return this.options.appUrl ?? httpBase(relayUrl ?? this.options.relayUrl);
  }

  rooms(): RoomSummary[] {
    return [...[...this.sessions.values()].map((session) => session.summary()), ...[...this.outdated.values()].map((room) => room.summary())];
  }

  room(id: string): RoomHandle | undefined {
    return this.sessions.get(id) ?? this.outdated.get(id);
  }

  // ---- events and lifecycle -------------------------------------------------------------

  on<K extends ClientEventType>(type: K, listener: (event: ClientEventMap[K]) => void): Unsubscribe {
    return this.events.on(type, listener);
  }

  onEvent(listener: (event: ClientEvent) => void): Unsubscribe {
    return this.events.onEvent(listener);
  }

  connectionState(relayUrl?: string): ConnectionState {
    return this.connections.state(relayUrl);
  }

  setReadReceipts(enabled: boolean): void {
    this.receiptSettings.readReceipts = enabled;
  }

  close(): Promise<void> {
    return this.lifecycle.run(async () => {
      if (this.closed) return;
      await this.shutdown();
      this.closed = true;
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new SealroomClientError('CLOSED');
  }
}

export function createSealroomClient(options: SealroomClientOptions): SealroomClient {
  return new Client(options);
}
