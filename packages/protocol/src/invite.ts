/**
 * Invite links. Everything secret lives in the URL fragment, which browsers never send to a
 * server: `<baseUrl>#v=1&s=<secret>&c=<creator id>[&r=<relay url>][&n=<room name>]`.
 * `s` and `c` are base64url (43 characters each); `r` and `n` are percent-encoded UTF-8.
 */
import { IDENTITY_ID_BYTES, INVITE_VERSION, MAX_RELAY_URL_CHARS, MAX_ROOM_NAME_BYTES, ROOM_SECRET_BYTES } from './constants.js';
import { fromBase64Url, toBase64Url, utf8 } from './bytes.js';
import { fail, type InviteV1ErrorCode, type Result } from './errors.js';
import { hasUnsafeCharacters } from './text.js';

export interface Invite {
  /** 32-byte room secret. */
  secret: Uint8Array;
  /** Identity id of the room's creator: the only member whose removals are honoured. */
  creatorId: Uint8Array;
  /** Relay address when it differs from the page's origin (ws:, wss:, http: or https:). */
  relayUrl?: string;
  /** Room name hint chosen by the inviter (untrusted text). */
  roomName?: string;
}

export interface FormatInviteOptions extends Invite {
  /** The web app's address, e.g. `https://chat.example/`. Any existing fragment is replaced. */
  baseUrl: string;
}

const RELAY_PROTOCOLS = new Set(['ws:', 'wss:', 'http:', 'https:']);
/** The web app is a page: an invite's base is http(s). The client keeps that base as the
 * room's app address and builds the links it shares from it. */
const APP_PROTOCOLS = new Set(['http:', 'https:']);

function roomNameOk(name: string): boolean {
  return name.length > 0 && utf8(name).length <= MAX_ROOM_NAME_BYTES && !hasUnsafeCharacters(name);
}

function relayUrlOk(url: string): boolean {
  if (url.length > MAX_RELAY_URL_CHARS) return false;
  try {
    const parsed = new URL(url);
    return RELAY_PROTOCOLS.has(parsed.protocol) && parsed.username === '' && parsed.password === '' && parsed.hash === '';
  } catch {
    return false;
  }
}

/** Builds an invite link. Throws `RangeError` on invalid options (caller error, not untrusted input). */
export function formatInvite(options: FormatInviteOptions): string {
  if (options.secret.length !== ROOM_SECRET_BYTES) throw new RangeError('room secret must be 32 bytes');
  if (options.creatorId.length !== IDENTITY_ID_BYTES) throw new RangeError('creator id must be 32 bytes');
  if (options.relayUrl !== undefined && !relayUrlOk(options.relayUrl)) throw new RangeError('relay URL refused');
  if (options.roomName !== undefined && !roomNameOk(options.roomName)) throw new RangeError('room name refused');
  const base = new URL(options.baseUrl);
  if (!APP_PROTOCOLS.has(base.protocol)) throw new RangeError('app address must be http(s)');
  base.hash = '';
  const fields = [`v=${INVITE_VERSION}`, `s=${toBase64Url(options.secret)}`, `c=${toBase64Url(options.creatorId)}`];
  if (options.relayUrl !== undefined) fields.push(`r=${encodeURIComponent(options.relayUrl)}`);
  if (options.roomName !== undefined) fields.push(`n=${encodeURIComponent(options.roomName)}`);
  return `${base.toString()}#${fields.join('&')}`;
}

/**
 * Parses an invite link strictly: every field at most once, no unknown fields, exact
 * lengths. `baseUrl` is the link without its fragment. Never throws.
 */
export function parseInvite(url: string): Result<{ invite: Invite; baseUrl: string }, InviteV1ErrorCode> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('NOT_A_URL');
  }
  if (!APP_PROTOCOLS.has(parsed.protocol)) return fail('NOT_A_URL', 'not http(s)');
  const fragment = parsed.hash.startsWith('#') ? parsed.hash.slice(1) : '';
  if (fragment === '') return fail('NO_FRAGMENT');
  const fields = new Map<string, string>();
  for (const part of fragment.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return fail('UNKNOWN_FIELD');
    const key = part.slice(0, eq);
    if (!['v', 's', 'c', 'r', 'n'].includes(key)) return fail('UNKNOWN_FIELD', key.slice(0, 8));
    if (fields.has(key)) return fail('DUPLICATE_FIELD', key);
    fields.set(key, part.slice(eq + 1));
  }
  if (fields.get('v') !== INVITE_VERSION) return fail('BAD_VERSION');
  const secret = fromBase64Url(fields.get('s') ?? '');
  if (secret === undefined || secret.length !== ROOM_SECRET_BYTES) return fail('BAD_SECRET');
  const creatorId = fromBase64Url(fields.get('c') ?? '');
  if (creatorId === undefined || creatorId.length !== IDENTITY_ID_BYTES) return fail('BAD_CREATOR');
  const invite: Invite = { secret, creatorId };
  const relay = fields.get('r');
  if (relay !== undefined) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(relay);
    } catch {
      return fail('BAD_RELAY_URL');
    }
    if (!relayUrlOk(decoded)) return fail('BAD_RELAY_URL');
    invite.relayUrl = decoded;
  }
  const name = fields.get('n');
  if (name !== undefined) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      return fail('BAD_ROOM_NAME');
    }
    if (!roomNameOk(decoded)) return fail('BAD_ROOM_NAME');
    invite.roomName = decoded;
  }
  parsed.hash = '';
  return { ok: true, invite, baseUrl: parsed.toString() };
}
