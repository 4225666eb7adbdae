/**
 * Invite links v2 (PROTOCOL.md B.5): the room id and the link secret, in the URL fragment
 * only, which browsers never send to a server.
 *
 *   <app URL>#v=2&i=<room id>&s=<link secret>[&r=<relay address>][&n=<room name>][&p=a]
 *
 * `i` binds the creator: the newcomer checks that the log it is given hashes back to it, so
 * nobody can re-share the link "as creator" without making a different room. `n` and `p`
 * are untrusted hints shown until the log arrives.
 */
import { MAX_RELAY_URL_CHARS } from './constants.js';
import { HASH_BYTES, INVITE_VERSION_V2, LINK_SECRET_BYTES } from './constants-v2.js';
import { fromBase64Url, toBase64Url } from './bytes.js';
import { fail, type InviteErrorCode, type Result } from './errors.js';
import { roomNameOk } from './log-actions.js';

/** The v1 marker: such links get `OLD_VERSION` ("made by an older version"). */
const INVITE_VERSION_V1 = '1';
/** The only value of `p`: approval is required (a hint). */
const APPROVAL_HINT = 'a';
const FIELDS = new Set(['v', 'i', 's', 'r', 'n', 'p']);
const RELAY_PROTOCOLS = new Set(['ws:', 'wss:', 'http:', 'https:']);
const APP_PROTOCOLS = new Set(['http:', 'https:']);
/** The path the relay serves its WebSocket on, below its web address (Part A). */
const RELAY_WEBSOCKET_PATH = 'ws';

export interface Invite {
  /** 32-byte room id: the SHA-256 of the room's genesis entry. */
  roomId: Uint8Array;
  /** 32-byte link secret: derives the lobby's relay room, admission key and lobby key. */
  linkSecret: Uint8Array;
  /** Relay address when it is not the page's origin (ws:, wss:, http: or https:). */
  relayUrl?: string;
  /** Room name hint (untrusted text). */
  roomName?: string;
  /** Hint that knocks wait for an admin's approval (untrusted; the log says). */
  approval: boolean;
}

export interface FormatInviteOptions extends Invite {
  /** The web app's address, e.g. `https://chat.example/`. Any existing fragment is replaced. */
  baseUrl: string;
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

/** Builds an invite link. Throws `RangeError` on invalid options (caller error). */
export function formatInvite(options: FormatInviteOptions): string {
  if (options.roomId.length !== HASH_BYTES) throw new RangeError('room id must be 32 bytes');
  if (options.linkSecret.length !== LINK_SECRET_BYTES) throw new RangeError('link secret must be 32 bytes');
  if (options.relayUrl !== undefined && !relayUrlOk(options.relayUrl)) throw new RangeError('relay URL refused');
  if (options.roomName !== undefined && !roomNameOk(options.roomName)) throw new RangeError('room name refused');
  const base = new URL(options.baseUrl);
  if (!APP_PROTOCOLS.has(base.protocol)) throw new RangeError('app address must be http(s)');
  base.hash = '';
  const fields = [`v=${INVITE_VERSION_V2}`, `i=${toBase64Url(options.roomId)}`, `s=${toBase64Url(options.linkSecret)}`];
  if (options.relayUrl !== undefined) fields.push(`r=${encodeURIComponent(options.relayUrl)}`);
  if (options.roomName !== undefined) fields.push(`n=${encodeURIComponent(options.roomName)}`);
  if (options.approval) fields.push(`p=${APPROVAL_HINT}`);
  return `${base.toString()}#${fields.join('&')}`;
}

function decodeComponent(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Parses an invite link strictly: an http(s) URL (`NOT_A_URL`) with a fragment
 * (`NO_FRAGMENT`); a `v=1` field makes it a v1 link (`OLD_VERSION`); then `key=value`
 * fields, each known (`UNKNOWN_FIELD`) and at most once (`DUPLICATE_FIELD`); `v` = 2
 * (`BAD_VERSION`), `i` 32 bytes
 * (`BAD_ROOM_ID`), `s` 32 bytes (`BAD_SECRET`), `r` (`BAD_RELAY_URL`), `n` (`BAD_ROOM_NAME`),
 * `p` = `a` (`UNKNOWN_FIELD`). `baseUrl` is the link without its fragment. Never throws.
 */
export function parseInvite(url: string): Result<{ invite: Invite; baseUrl: string }, InviteErrorCode> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('NOT_A_URL');
  }
  if (!APP_PROTOCOLS.has(parsed.protocol)) return fail('NOT_A_URL', 'not http(s)');
  const fragment = parsed.hash.startsWith('#') ? parsed.hash.slice(1) : '';
  if (fragment === '') return fail('NO_FRAGMENT');
  const parts = fragment.split('&');
  // A v1 link has v1's fields (c=…): recognise it before those count as unknown, so the
  // user hears "made by an older version" rather than "broken link".
  if (parts.includes(`v=${INVITE_VERSION_V1}`)) return fail('OLD_VERSION');
  const fields = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) return fail('UNKNOWN_FIELD');
    const key = part.slice(0, eq);
    if (!FIELDS.has(key)) return fail('UNKNOWN_FIELD', key.slice(0, 8));
    if (fields.has(key)) return fail('DUPLICATE_FIELD', key);
    fields.set(key, part.slice(eq + 1));
  }
  if (fields.get('v') !== INVITE_VERSION_V2) return fail('BAD_VERSION');
  const roomId = fromBase64Url(fields.get('i') ?? '');
  if (roomId === undefined || roomId.length !== HASH_BYTES) return fail('BAD_ROOM_ID');
  const linkSecret = fromBase64Url(fields.get('s') ?? '');
  if (linkSecret === undefined || linkSecret.length !== LINK_SECRET_BYTES) return fail('BAD_SECRET');
  const invite: Invite = { roomId, linkSecret, approval: false };
  const relay = fields.get('r');
  if (relay !== undefined) {
    const decoded = decodeComponent(relay);
    if (decoded === undefined || !relayUrlOk(decoded)) return fail('BAD_RELAY_URL');
    invite.relayUrl = decoded;
  }
  const name = fields.get('n');
  if (name !== undefined) {
    const decoded = decodeComponent(name);
    if (decoded === undefined || !roomNameOk(decoded)) return fail('BAD_ROOM_NAME');
    invite.roomName = decoded;
  }
  const policy = fields.get('p');
  if (policy !== undefined) {
    if (policy !== APPROVAL_HINT) return fail('UNKNOWN_FIELD', 'p');
    invite.approval = true;
  }
  parsed.hash = '';
  return { ok: true, invite, baseUrl: parsed.toString() };
}

/**
 * The WebSocket endpoint of a relay address: a `ws:`/`wss:` address is used as is; an
 * `http(s)://host[:port][/path]` address becomes the same URL with `ws(s):` and its path
 * extended by `/ws` (`https://relay.example/` → `wss://relay.example/ws`,
 * `https://example.org/chat` → `wss://example.org/chat/ws`). Never throws.
 */
export function relayWebSocketUrl(address: string): Result<{ url: string }, 'BAD_RELAY_URL'> {
  if (!relayUrlOk(address)) return fail('BAD_RELAY_URL');
  const url = new URL(address);
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return { ok: true, url: url.toString() };
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${RELAY_WEBSOCKET_PATH}`;
  return { ok: true, url: url.toString() };
}
