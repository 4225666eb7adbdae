/**
 * The parts of a room session, built from the room's record and wired to each other
 * through the narrow ports each declares. Parts that share mutable state share it as the
 * room record (each sees only the fields it declares), the room lock, the room status and
 * the persistence; no part holds the session.
 */
import { roomMember, toBase64Url, type RoomKeys, type UnlockedIdentity } from '@sealroom/protocol';
import type { EventHub } from './events.js';
import { FileTransfers } from './files.js';
import { AsyncLock } from './lock.js';
import { Membership } from './membership.js';
import { Outbox } from './outbox.js';
import type { Clock } from './platform.js';
import { Presence } from './presence.js';
import { Receiver } from './receive.js';
import type { RoomRecord } from './records.js';
import { RoomPersistence } from './room-persistence.js';
import { RoomStatus } from './room-status.js';
import { Roster } from './roster.js';
import { SeenIds } from './seen-ids.js';
import { SenderKeys } from './sender-key-rotation.js';
import { Sending } from './sending.js';
import { Timeline } from './timeline.js';
import type { RelayConnection } from './transport.js';
import type { Vault } from './vault.js';
import { roomWarner, type Warn } from './warnings.js';
import type { EnvelopeBytes } from './wire.js';

/** What the client gives each room session. */
export interface SessionContext {
  me: UnlockedIdentity;
  vault: Vault;
  events: EventHub;
  clock: Clock;
  connection: RelayConnection;
  presenceTimeoutMs: number;
  /** Called when the room is left or I am removed, so the client can stop its transport. */
  onInactive(): void;
}

export interface RoomParts {
  lock: AsyncLock;
  status: RoomStatus;
  persistence: RoomPersistence;
  warn: Warn;
  seen: SeenIds;
  roster: Roster;
  timeline: Timeline;
  senderKeys: SenderKeys;
  presence: Presence;
  outbox: Outbox;
  files: FileTransfers;
  membership: Membership;
  sending: Sending;
  receiver: Receiver;
}

/** Loads a room's stored parts (members, timeline, outbox) and wires them together. */
export async function assembleRoom(ctx: SessionContext, record: RoomRecord, keys: RoomKeys): Promise<RoomParts> {
  const { me, vault, events, clock } = ctx;
  const roomId = record.id;
  const myId = toBase64Url(me.public.id);
  const myMemberId = (await roomMember(keys, me.public)).memberId;
  // Looked up at each call, not bound once: the connection object is the transport's.
  const publish = (envelope: EnvelopeBytes) => ctx.connection.publish(roomId, envelope);
  const connected = () => ctx.connection.isReady(roomId);

  const lock = new AsyncLock();
  const status = new RoomStatus(() => record.active);
  const warn = roomWarner(events, roomId);
  const persistence = new RoomPersistence({ vault, clock, lock, record, isDead: () => status.dead });
  const seen = new SeenIds(record);
  const roster = await Roster.load(record, keys, myId, warn);
  const timeline = await Timeline.load({ vault, events, clock, lock, ownerId: myId, warn }, record);
  const senderKeys = new SenderKeys(
    {
      roster,
      persistence,
      publish,
      canSendNow: () => status.ready && connected() && record.joinCursor !== 0,
      isAnnounced: () => record.active && !status.dead && record.joinCursor !== 0,
    },
    record,
    { keys, me, myId, clock },
  );
  // Sending, presence, the outbox and file transfer reach each other through ports that are
  // called only once the room runs, after every part below exists.
  const presence: Presence = new Presence(
    {
      isLive: () => record.active && status.ready,
      hasAudience: () => roster.size > 1 && record.joinCursor !== 0,
      isMember: (id) => roster.has(id),
      sendBeat: (payload) => sending.sendGroup(payload),
    },
    { roomId, clock, events, timeoutMs: ctx.presenceTimeoutMs },
  );
  const outbox = await Outbox.load(
    {
      vault,
      clock,
      lock,
      port: {
        persistence,
        canSend: () => record.active && connected(),
        seal: (intent) => sending.seal(intent),
        publish,
        delivered: (intent, cursor) => sending.delivered(intent, cursor),
        warn,
      },
    },
    record,
  );
  const files: FileTransfers = new FileTransfers({
    roomId,
    keys,
    myIdentityId: myId,
    myName: me.public.displayName,
    myMemberId,
    clock,
    events,
    timeline,
    warn,
    locked: (task) => lock.run(task),
    sendGroup: (payload, content) => sending.sendGroup(payload, content),
    publish,
    maxEnvelopeBytes: () => ctx.connection.maxEnvelopeBytes,
    waitForBufferBelow: (bytes) => ctx.connection.waitForBufferBelow(bytes),
    isReady: () => status.ready && connected(),
    nextReady: () => status.nextReady(),
  });
  const membership: Membership = new Membership(
    {
      roster,
      timeline,
      presence,
      senderKeys,
      outbox,
      files,
      status,
      events,
      leaveRelayRoom: () => ctx.connection.removeRoom(roomId),
      onInactive: () => ctx.onInactive(),
    },
    record,
    { id: myId, name: me.public.displayName },
  );
  const sending: Sending = new Sending(
    { keys, me, myId, lock, roster, senderKeys, outbox, seen, timeline, membership, presence, persistence, status, events, publish, isConnected: connected },
    record,
  );
  const receiver = new Receiver({ keys, roster, seen, senderKeys, membership, timeline, presence, files, persistence, status, events, clock, warn }, record, {
    me,
    identityId: myId,
    memberId: toBase64Url(myMemberId),
  });
  return { lock, status, persistence, warn, seen, roster, timeline, senderKeys, presence, outbox, files, membership, sending, receiver };
}
