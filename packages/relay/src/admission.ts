/**
 * Admission to a room (docs/PROTOCOL.md A.3): `join` gets a one-time challenge, `prove`
 * answers it with HMAC(admission key, label ‖ room id ‖ nonce). The first proof for a
 * room registers its key (and its retention age, fixed from then on); every later one
 * must verify under the registered key. `joined` names the room's incarnation (`epoch`)
 * and its head.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocket } from 'ws';
import type { RegistrationBudget } from './budgets.js';
import type { Connection } from './connection.js';
import { ErrorCode } from './errors.js';
import type { Logger } from './log.js';
import type { RelayLimits, RetentionLimits } from './options.js';
import type { Outbound } from './outbound.js';
import { isRequestedMaxAge, registeredMaxAge } from './retention.js';
import type { Rooms } from './rooms.js';
import type { RoomKey, RoomStore } from './store.js';
import { decodeFixed, type Json } from './validation.js';
import { ADMISSION_KEY_BYTES, ADMISSION_LABEL, MAC_BYTES, MAX_CURSOR, NONCE_BYTES, PROTOCOL_VERSION } from './wire.js';

const LABEL_BYTES = Buffer.from(ADMISSION_LABEL, 'ascii');

function freshNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** HMAC-SHA-256(key, "sealroom/admit/v1" ‖ roomId ‖ nonce), docs/PROTOCOL.md A.3. */
export function admissionMac(key: Uint8Array, roomId: Uint8Array, nonce: Uint8Array): Buffer {
  return createHmac('sha256', key).update(LABEL_BYTES).update(roomId).update(nonce).digest();
}

/** Constant-time check of a client's proof. Wrong lengths fail without comparing. */
function verifyAdmission(key: Uint8Array, roomId: Uint8Array, nonce: Uint8Array, mac: Uint8Array): boolean {
  if (key.byteLength !== ADMISSION_KEY_BYTES || mac.byteLength !== MAC_BYTES) return false;
  return timingSafeEqual(admissionMac(key, roomId, nonce), mac);
}

/** What admission needs from the relay. */
interface AdmissionPort {
  readonly store: Pick<RoomStore, 'admissionKey' | 'claimAdmissionKey' | 'readAfter'>;
  readonly rooms: Pick<Rooms, 'open' | 'releaseIfEmpty' | 'addMember'>;
  readonly out: Pick<Outbound, 'json' | 'error'>;
  readonly limits: Pick<RelayLimits, 'maxRoomsPerConnection'>;
  readonly retention: Pick<RetentionLimits, 'maxAgeMs' | 'minAgeMs'>;
  readonly registrations: Pick<RegistrationBudget, 'take'>;
  readonly log: Logger;
  /** The connection is still registered (it has not closed). */
  isOpen(conn: Connection): boolean;
}

/** The challenge–response flow, per connection and room. */
export class Admission {
  constructor(private readonly port: AdmissionPort) {}

  /** A `join`: answers with a fresh challenge (or `joined` when already a member). */
  async join(conn: Connection, room: RoomKey): Promise<void> {
    const { store, out, limits } = this.port;
    if (conn.inRoom(room)) {
      // Already admitted: answer as a fresh admission would, without a new proof.
      const { head, epoch } = await store.readAfter(room, MAX_CURSOR, 0, Date.now());
      if (epoch === undefined) throw new Error('an admitted room is unknown to the store');
      out.json(conn, { v: PROTOCOL_VERSION, t: 'joined', room, head, epoch });
      return;
    }
    if (!conn.challenges?.has(room) && conn.roomCount() >= limits.maxRoomsPerConnection) {
      out.error(conn, ErrorCode.ROOM_LIMIT, `at most ${limits.maxRoomsPerConnection} rooms per connection`, room);
      return;
    }
    const nonce = freshNonce();
    (conn.challenges ??= new Map()).set(room, nonce);
    const registered = (await store.admissionKey(room)) !== undefined;
    // Answer only if this is still the challenge outstanding (a second join replaces it).
    if (conn.challenges?.get(room) !== nonce) return;
    out.json(conn, { v: PROTOCOL_VERSION, t: 'challenge', room, nonce: nonce.toString('base64url'), registered });
  }

  /** A `prove`: spends the room's challenge and admits the connection if the proof verifies. */
  async prove(conn: Connection, room: RoomKey, msg: Json): Promise<void> {
    const nonce = conn.challenges?.get(room);
    if (nonce === undefined) {
      this.port.out.error(conn, ErrorCode.NO_CHALLENGE, 'no pending challenge for this room; send join first', room);
      return;
    }
    // The nonce is spent whatever happens next: an answer is never accepted twice. Its
    // room keeps counting against the room limit until the admission is settled.
    conn.challenges!.delete(room);
    if (conn.challenges!.size === 0) conn.challenges = undefined;
    (conn.admitting ??= new Map()).set(room, nonce);
    try {
      await this.admit(conn, room, nonce, msg);
    } finally {
      if (conn.admitting?.get(room) === nonce) conn.admitting.delete(room);
      if (conn.admitting?.size === 0) conn.admitting = undefined;
    }
  }

  /** Whether this admission still stands: the connection is open and did not leave the room meanwhile. */
  private stillAdmitting(conn: Connection, room: RoomKey, nonce: Buffer): boolean {
    return conn.ws.readyState === WebSocket.OPEN && this.port.isOpen(conn) && conn.admitting?.get(room) === nonce;
  }

  private async admit(conn: Connection, room: RoomKey, nonce: Buffer, msg: Json): Promise<void> {
    const { store, rooms, out, limits } = this.port;
    const mac = decodeFixed(msg.mac, MAC_BYTES);
    const offeredKey = msg.key === undefined ? undefined : decodeFixed(msg.key, ADMISSION_KEY_BYTES);
    if (mac === undefined || mac === null || offeredKey === null) {
      out.error(conn, ErrorCode.BAD_MESSAGE, `"mac" and "key" must be ${MAC_BYTES} bytes in base64url`, room);
      return;
    }
    const requestedMaxAge = msg.maxAgeMs;
    if (!isRequestedMaxAge(requestedMaxAge)) {
      out.error(conn, ErrorCode.BAD_MESSAGE, '"maxAgeMs" must be a positive integer', room);
      return;
    }
    const roomId = Buffer.from(room, 'base64url');
    let key = await store.admissionKey(room);
    if (key === undefined) {
      // Registration on first use: the proof must verify under the offered key before
      // the key is stored, and again under whatever key won a concurrent claim.
      if (offeredKey === undefined || !verifyAdmission(offeredKey, roomId, nonce, mac)) {
        this.refuseAdmission(conn, room);
        return;
      }
      const registration = this.port.registrations.take(conn.address, Date.now());
      if (!registration.ok) {
        out.error(
          conn,
          ErrorCode.REGISTRATION_LIMITED,
          'this address registered too many rooms recently; nothing stored',
          room,
          undefined,
          registration.retryAfterMs,
        );
        return;
      }
      const claimed = await store.claimAdmissionKey(room, offeredKey, registeredMaxAge(requestedMaxAge, this.port.retention));
      if (!(claimed instanceof Uint8Array)) {
        if (claimed.code === 'STORE_FULL') out.error(conn, ErrorCode.STORE_FULL, 'the relay holds as many rooms as it may; nothing stored', room);
        // A forgotten room id is kept for the holders of its original key: to anyone else
        // it is a key that does not verify.
        else this.refuseAdmission(conn, room);
        return;
      }
      key = claimed;
    }
    if (!verifyAdmission(key, roomId, nonce, mac)) {
      this.refuseAdmission(conn, room);
      return;
    }
    if (!this.stillAdmitting(conn, room, nonce)) return;
    if ((conn.rooms?.length ?? 0) >= limits.maxRoomsPerConnection && !conn.inRoom(room)) {
      out.error(conn, ErrorCode.ROOM_LIMIT, `at most ${limits.maxRoomsPerConnection} rooms per connection`, room);
      return;
    }
    // Subscribe (other processes' envelopes) first, then read the head, then admit:
    // everything up to `head` is in the log, everything after it arrives live, and
    // nothing arrives live before `joined`.
    const local = rooms.open(room, roomId);
    local.joining += 1;
    let head: number | undefined;
    let epoch: string | undefined;
    try {
      await local.subscribed;
      ({ head, epoch } = await store.readAfter(room, MAX_CURSOR, 0, Date.now()));
      // Registered a moment ago yet unknown now: the store forgot it meanwhile (or lost
      // its data). The client retries an UNAVAILABLE join and registers it again.
      if (epoch === undefined) throw new Error('the room vanished from the store during admission');
    } finally {
      local.joining -= 1;
      // The store failed: the error goes to the client, the room must not stay open here.
      if (epoch === undefined) rooms.releaseIfEmpty(local);
    }
    if (!this.stillAdmitting(conn, room, nonce)) {
      rooms.releaseIfEmpty(local);
      return;
    }
    // The first admission here starts live delivery after `head`; one that finds another
    // epoch than the members here were admitted to tells them (room-delivery.ts).
    local.delivery.admitted(head!, epoch);
    rooms.addMember(conn, local);
    out.json(conn, { v: PROTOCOL_VERSION, t: 'joined', room, head, epoch });
  }

  private refuseAdmission(conn: Connection, room: RoomKey): void {
    this.port.log.debug('admission_denied', { address: conn.address });
    this.port.out.error(conn, ErrorCode.ADMISSION_DENIED, 'admission proof did not verify', room);
  }
}
