/**
 * The parts of a room session, built from the room's records and wired to each other
 * through the narrow ports each declares. Parts that share mutable state share it as the
 * room record (each sees only the fields it declares), the room's log, the room lock, the
 * room status and the persistence; no part holds the session.
 */
import { toBase64Url, type UnlockedIdentity } from '@sealroom/protocol';
import { Commits } from './commits.js';
import { Epochs } from './epochs.js';
import type { EventHub } from './events.js';
import { FileTransfers } from './files.js';
import { Knocking } from './knocking.js';
import { Leaving } from './leaving.js';
import { AsyncLock } from './lock.js';
import { LobbyWatch } from './lobby.js';
import { Membership } from './membership.js';
import { MessageActions } from './message-actions.js';
import { Outbox } from './outbox.js';
import type { Clock } from './platform.js';
import { Presence } from './presence.js';
import { Receipts, type ReceiptSettings } from './receipts.js';
import { Receiver } from './receive.js';
import type { CommitIntent, RoomRecord } from './records.js';
import type { RelayPort } from './relay-port.js';
import type { RelayRoomHost } from './relay-rooms.js';
import { SentLog } from './resend-after-commit.js';
import { RoomLog } from './room-log.js';
import { RoomPersistence } from './room-persistence.js';
import { RoomRelays } from './room-relays.js';
import { RoomStatus } from './room-status.js';
import { Roster } from './roster.js';
import { SeenIds } from './seen-ids.js';
import { SenderKeys } from './sender-key-rotation.js';
import { Sending } from './sending.js';
import { Timeline } from './timeline.js';
import { TransportError } from './transport-errors.js';
import type { Vault } from './vault.js';
import { roomWarner, type Warn } from './warnings.js';

/** What the client gives each room session. */
export interface SessionContext {
  me: UnlockedIdentity;
  vault: Vault;
  events: EventHub;
  clock: Clock;
  relay: RelayPort;
  presenceTimeoutMs: number;
  /** The client-wide receipt setting (read receipts on or off). */
  receiptSettings: ReceiptSettings;
  /** Called when the room is left or I am removed, so the client can stop its transport. */
  onInactive(): void;
}

export interface RoomParts {
  lock: AsyncLock;
  status: RoomStatus;
  persistence: RoomPersistence;
  warn: Warn;
  log: RoomLog;
  relays: RoomRelays;
  seen: SeenIds;
  roster: Roster;
  timeline: Timeline;
  senderKeys: SenderKeys;
  presence: Presence;
  receipts: Receipts;
  outbox: Outbox;
  sentLog: SentLog;
  files: FileTransfers;
  membership: Membership;
  commits: Commits;
  lobby: LobbyWatch;
  knocking: Knocking;
  leaving: Leaving;
  epochs: Epochs;
  sending: Sending;
  receiver: Receiver;
  actions: MessageActions;
}

/** Loads a room's stored parts (log, timeline, outbox, sent log) and wires them together. */
export async function assembleRoom(ctx: SessionContext, record: RoomRecord, host: RelayRoomHost): Promise<RoomParts> {
  const { me, vault, events, clock } = ctx;
  const roomId = record.id;
  const myId = toBase64Url(me.public.id);
  const lock = new AsyncLock();
  const locked = (task: () => Promise<void>) => lock.run(task);
  const status = new RoomStatus(() => record.status === 'member' || record.status === 'knocking');
  const warn = roomWarner(events, roomId);
  const persistence = new RoomPersistence({ vault, clock, lock, record, isDead: () => status.dead });
  const persistSoon = () => persistence.persistSoon();
  const log = await RoomLog.load(vault, roomId);
  const relays = new RoomRelays(record, log, () => ctx.relay, host, clock);
  const publish = (room: string, envelope: Uint8Array) => relays.publish(room, envelope);
  const currentReady = () => relays.isReady(record.epochRoom?.room);
  const seen = new SeenIds(record);
  const roster = new Roster(log, record, myId, warn);
  const timeline = await Timeline.load({ vault, events, clock, lock, ownerId: myId, warn }, record);
  const sentLog = await SentLog.load(vault, record);
  const member = () => record.status === 'member' && !status.dead;

  // The parts below reach each other through ports called only once the room runs.
  const senderKeys: SenderKeys = new SenderKeys(
    {
      roster,
      persistence,
      epochKeys: () => log.current!,
      publish: async (envelope) => {
        const room = relays.current();
        if (room === undefined) throw new TransportError('NOT_CONNECTED');
        const cursor = await publish(room.roomId, envelope);
        room.ownAck(cursor);
        return cursor;
      },
      canSendNow: () => member() && status.ready && currentReady(),
      isLive: member,
    },
    record,
    { me, myId, clock },
  );
  const commits: Commits = new Commits(
    {
      me,
      log,
      roster,
      lock,
      clock,
      canCommit: () => member() && currentReady(),
      currentRoom: () => relays.current(),
      publish: (room, envelope, options) => relays.publish(room, envelope, options),
      advance: (cursor, commit) => epochs.advance(cursor, commit),
      committed: (intent: CommitIntent) => (intent.kind === 'add' ? lobby.welcomeAdded(intent) : Promise.resolve()),
      persistSoon,
    },
    record,
  );
  const leaving = new Leaving({ myId, roster, seen, clock, commits, warn, locked, persistSoon }, record);
  // A member asking to be welcomed again (its relay room's history was lost) keeps sending:
  // the others may all be away, and what it sends in an epoch it turns out to have left is
  // refused by them (STALE_EPOCH), never read by anyone outside the roster.
  const canSendGroup = () => member() && currentReady() && !commits.inFlight && !commits.removalQueued && !leaving.pending;
  const presence: Presence = new Presence(
    {
      isLive: () => member() && status.ready,
      hasAudience: () => roster.size > 1,
      isMember: (id) => roster.has(id),
      sendBeat: (payload) => sending.sendGroup(payload),
    },
    { roomId, clock, events, timeoutMs: ctx.presenceTimeoutMs },
  );
  const receipts = new Receipts({
    myId,
    roomId,
    clock,
    events,
    settings: ctx.receiptSettings,
    timeline,
    audience: (directTo) => (directTo === null ? roster.ids().filter((id) => id !== myId) : [directTo]),
    canSend: () => canSendGroup() && status.ready,
    send: (payload) => sending.sendGroup(payload),
  });
  const outbox = await Outbox.load(
    {
      vault,
      clock,
      lock,
      port: { persistence, canSend: canSendGroup, send: (intent) => sending.send(intent), delivered: (i, c, e) => sending.delivered(i, c, e), warn },
    },
    record,
  );
  const files: FileTransfers = new FileTransfers({
    roomId,
    myIdentityId: myId,
    myName: me.public.displayName,
    clock,
    events,
    timeline,
    warn,
    locked: (task) => lock.run(task),
    sendGroup: (payload, content) => sending.sendGroup(payload, content),
    publish: (envelope) => {
      const room = relays.current();
      return room === undefined ? Promise.reject(new TransportError('NOT_CONNECTED')) : relays.publish(room.roomId, envelope);
    },
    maxEnvelopeBytes: () => ctx.relay.maxEnvelopeBytes,
    waitForBufferBelow: (bytes) => ctx.relay.waitForBufferBelow(bytes),
    isReady: () => status.ready && currentReady(),
    nextReady: () => status.nextReady(),
  });
  const membership: Membership = new Membership(
    {
      log,
      roster,
      timeline,
      presence,
      senderKeys,
      outbox,
      sentLog,
      files,
      status,
      events,
      clock,
      catchingUp: () => record.knock !== null || (record.previousRoom !== null && !currentReady()),
      pendingKnocks: () => record.pendingKnocks.length,
      unbindAll: () => {
        commits.stop();
        epochs.stop();
        relays.sync();
      },
      onInactive: () => ctx.onInactive(),
      persist: () => persistence.persist(),
    },
    record,
    myId,
  );
  const lobby: LobbyWatch = new LobbyWatch(
    {
      me,
      myId,
      log,
      roster,
      clock,
      events,
      warn,
      commits,
      locked,
      publish,
      syncRelays: () => relays.sync(),
      persistSoon,
      emitRoom: () => membership.emitRoom(),
    },
    record,
  );
  const knocking = new Knocking(
    {
      me,
      myId,
      log,
      roster,
      timeline,
      events,
      warn,
      now: () => clock.now(),
      publish,
      persist: () => persistence.persist(),
      syncRelays: () => relays.sync(),
      welcomed: async (first, by) => {
        await lobby.refresh();
        if (first) events.emit('joined-room', { roomId, summary: membership.summary(), by });
        membership.emitRoom();
        commits.kick();
        void outbox.flush();
      },
      emitRoom: () => membership.emitRoom(),
    },
    record,
  );
  const epochs: Epochs = new Epochs(
    {
      me,
      myId,
      log,
      roster,
      timeline,
      senderKeys,
      presence,
      files,
      sentLog,
      outbox,
      membership,
      lobby,
      leaving,
      commits,
      persistence,
      events,
      warn,
      clock,
      locked,
      now: () => clock.now(),
      syncRelays: () => relays.sync(),
    },
    record,
  );
  const sending: Sending = new Sending(
    {
      me,
      myId,
      lock,
      log,
      roster,
      senderKeys,
      outbox,
      sentLog,
      seen,
      timeline,
      membership,
      presence,
      receipts,
      status,
      events,
      currentRoom: () => relays.current(),
      roomOfEpoch: (epoch) => relays.ofEpoch(epoch),
      publish,
      canSendGroup,
    },
    record,
  );
  const actions = new MessageActions({ roomId, myId, lock, timeline, seen, roster, outbox, sentLog, events, clock, warn });
  const receiver = new Receiver(
    {
      me,
      myId,
      log,
      roster,
      seen,
      senderKeys,
      commits,
      epochs,
      lobby,
      knocking,
      leaving,
      timeline,
      presence,
      files,
      actions,
      receipts,
      persistence,
      events,
      clock,
      warn,
    },
    record,
  );
  return {
    lock,
    status,
    persistence,
    warn,
    log,
    relays,
    seen,
    roster,
    timeline,
    senderKeys,
    presence,
    receipts,
    outbox,
    sentLog,
    files,
    membership,
    commits,
    lobby,
    knocking,
    leaving,
    epochs,
    sending,
    receiver,
    actions,
  };
}
