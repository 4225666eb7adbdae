/**
 * Control envelopes: leave, removal (honoured only from the room's creator) and room
 * settings. Room-sealed like join announcements, so every invitee can process them without
 * holding anyone's sender key — a member must learn of a removal even before it has keys.
 *
 * Inner payload: u8 kind ‖ body. Kinds: 0x01 leave (empty body); 0x02 remove (32-byte
 * identity id of the removed member); 0x03 settings (u32 disappearing-message timer in
 * seconds, 0 = off).
 */
import { DAY_S } from '@sealroom/units';
import { IDENTITY_ID_BYTES, TIMER_BYTES } from './constants.js';
import { Reader, concat, equalBytes, u32, u8 } from './bytes.js';
import { fail, type EnvelopeErrorCode, type Result } from './errors.js';
import type { LocalIdentity } from './identity.js';
import { neverThrows, openRoomSealed, sealRoomSealed, verifyEnvelope } from './envelope.js';
import type { RoomKeys, RoomMember } from './room-keys.js';

/** Control kind bytes. */
export const CONTROL_KIND = { leave: 0x01, remove: 0x02, settings: 0x03 } as const;

/** Longest disappearing-message timer: one year in seconds (fits a u32 with room to spare). */
export const MAX_DISAPPEARING_SECONDS = 365 * DAY_S;

export type ControlAction =
  | { kind: 'leave' }
  /** Removes the member with this identity id; valid only when sent by the room creator. */
  | { kind: 'remove'; target: Uint8Array }
  /** Disappearing-message timer in whole seconds; 0 turns it off. */
  | { kind: 'settings'; disappearingAfterSeconds: number };

function encodeAction(action: ControlAction): Uint8Array {
  switch (action.kind) {
    case 'leave':
      return u8(CONTROL_KIND.leave);
    case 'remove':
      if (action.target.length !== IDENTITY_ID_BYTES) throw new RangeError('removal target must be a 32-byte identity id');
      return concat(u8(CONTROL_KIND.remove), action.target);
    case 'settings':
      if (!Number.isInteger(action.disappearingAfterSeconds) || action.disappearingAfterSeconds < 0 || action.disappearingAfterSeconds > MAX_DISAPPEARING_SECONDS) {
        throw new RangeError('disappearing timer out of range');
      }
      return concat(u8(CONTROL_KIND.settings), u32(action.disappearingAfterSeconds));
  }
}

function decodeAction(payload: Uint8Array): ControlAction | undefined {
  const r = new Reader(payload);
  const kind = r.u8();
  if (kind === CONTROL_KIND.leave && r.remaining === 0) return { kind: 'leave' };
  if (kind === CONTROL_KIND.remove && r.remaining === IDENTITY_ID_BYTES) return { kind: 'remove', target: r.rest() };
  if (kind === CONTROL_KIND.settings && r.remaining === TIMER_BYTES) {
    const seconds = r.u32()!;
    return seconds <= MAX_DISAPPEARING_SECONDS ? { kind: 'settings', disappearingAfterSeconds: seconds } : undefined;
  }
  return undefined;
}

/** Seals a control envelope. Throws `RangeError` for an invalid action (caller error). */
export async function sealControl(options: { roomKeys: RoomKeys; me: LocalIdentity; action: ControlAction }): Promise<{ envelope: Uint8Array; messageId: Uint8Array }> {
  return sealRoomSealed('control', options.roomKeys, options.me, encodeAction(options.action));
}

/**
 * Opens a control envelope from a known member. Checks, in order: structure → type → room →
 * header sender = `sender.memberId` → AES-GCM tag → inner lengths → signature → action
 * encoding → for `remove`, the sender is the creator (`creatorId`, from the invite).
 */
export function openControl(options: {
  roomKeys: RoomKeys;
  envelope: Uint8Array;
  sender: RoomMember;
  creatorId: Uint8Array;
}): Promise<Result<{ action: ControlAction; messageId: Uint8Array }, EnvelopeErrorCode>> {
  return neverThrows(async () => {
    const opened = await openRoomSealed(options.envelope, 'control', options.roomKeys, options.sender);
    if (!opened.ok) return opened;
    if (opened.signature.length !== options.sender.identity.signatureBytes) return fail('BAD_LENGTH', 'signature');
    if (!(await verifyEnvelope(options.sender, opened.signature, concat(opened.envelope.header, opened.payload)))) return fail('BAD_SIGNATURE');
    const action = decodeAction(opened.payload);
    if (action === undefined) return fail('BAD_ENCODING', 'control action');
    if (action.kind === 'remove' && !equalBytes(options.sender.identity.id, options.creatorId)) return fail('NOT_CREATOR');
    return { ok: true, action, messageId: opened.envelope.messageId };
  });
}
