/**
 * Application payloads: the JSON inside sealed group and direct messages (PROTOCOL Part C).
 * Everything here arrives from other members, who may be hostile: decoding validates each
 * field and returns undefined for anything unexpected instead of throwing.
 */
import { fromUtf8, utf8 } from '@sealroom/protocol';
import { decodeActionPayload, decodeMessageRef, type ActionPayload, type MessageRef } from './action-payloads.js';
import { APP_ID_BYTES, MAX_TEXT_BYTES, boundedText, decodeMentions, isCount, isId, isTime } from './payload-fields.js';

export { APP_ID_BYTES, IDENTITY_ID_BYTES, MAX_MENTIONS, MAX_TEXT_BYTES } from './payload-fields.js';

/** Part C payload version. */
export const PAYLOAD_VERSION = 1;
/** Longest file name shown, in UTF-8 bytes. */
export const MAX_FILE_NAME_BYTES = 1024;
/** Longest MIME type, in UTF-8 bytes. */
export const MAX_MIME_TYPE_BYTES = 255;
/** Longest error code in a file-cancel, in UTF-8 bytes (codes are short identifiers). */
export const MAX_CANCEL_CODE_BYTES = 64;
/** Most ranges in one file-resend, and most chunk indices they may cover in total. */
export const MAX_RESEND_RANGES = 16;
export const MAX_RESEND_CHUNKS = 32;
/**
 * Most message ids in one list of a receipt (delivered, read): a burst of catch-up fits in a
 * few receipts, and one receipt stays near 6 KiB of JSON (22-character ids).
 */
export const MAX_RECEIPT_IDS = 256;
/** Hex SHA-256: 64 characters. */
const SHA256_HEX_CHARS = 64;

export type AppPayload =
  /** `reply`: the message this one answers (C.11); absent when it answers none. */
  | { t: 'text'; id: string; ts: number; body: string; mentions: string[]; reply?: MessageRef }
  /** `ask`: the sender just came online and asks the others to answer with a beat (C.10). */
  | { t: 'presence'; ts: number; state: 'online' | 'offline'; ask?: true }
  | { t: 'file-offer'; id: string; ts: number; file: string; name: string; size: number; mime: string; sha256: string; chunkBytes: number; chunks: number }
  | { t: 'file-accept'; ts: number; file: string }
  /** Receiver → sender: I have written chunks [0, next); paces the sender (C.6). */
  | { t: 'file-progress'; ts: number; file: string; next: number }
  | { t: 'file-decline'; ts: number; file: string }
  | { t: 'file-cancel'; ts: number; file: string; code: string }
  /** Receiver → sender: resend these chunks, as half-open index ranges [start, end) (C.6). */
  | { t: 'file-resend'; ts: number; file: string; ranges: [number, number][] }
  /** Receiver → sender, direct only: I hold no key for your group messages; distribute your current one to me (C.5). */
  | { t: 'key-request'; ts: number }
  /** Edit, delete for everyone, reaction: bound to the message they refer to (C.11). */
  | ActionPayload
  /** Batched receipts for other members' messages, by their app ids: delivered to me, read by me (C.12, receipts.ts). */
  | { t: 'receipt'; ts: number; d: string[]; r: string[] };

export function encodePayload(payload: AppPayload): Uint8Array {
  return utf8(JSON.stringify({ v: PAYLOAD_VERSION, ...payload }));
}

export function decodePayload(bytes: Uint8Array): AppPayload | undefined {
  const text = fromUtf8(bytes);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.v !== PAYLOAD_VERSION || !isTime(m.ts)) return undefined;
  switch (m.t) {
    case 'text': {
      if (!isId(m.id, APP_ID_BYTES) || !boundedText(m.body, MAX_TEXT_BYTES)) return undefined;
      const mentions = decodeMentions(m.mentions);
      if (mentions === undefined) return undefined;
      const reply = m.reply === undefined ? undefined : decodeMessageRef(m.reply);
      if (m.reply !== undefined && reply === undefined) return undefined;
      return { t: 'text', id: m.id, ts: m.ts, body: m.body, mentions, ...(reply === undefined ? {} : { reply }) };
    }
    case 'presence':
      if (m.state !== 'online' && m.state !== 'offline') return undefined;
      return m.ask === true && m.state === 'online' ? { t: 'presence', ts: m.ts, state: m.state, ask: true } : { t: 'presence', ts: m.ts, state: m.state };
    case 'file-offer': {
      if (!isId(m.id, APP_ID_BYTES) || !isId(m.file, APP_ID_BYTES)) return undefined;
      if (!boundedText(m.name, MAX_FILE_NAME_BYTES) || !boundedText(m.mime, MAX_MIME_TYPE_BYTES)) return undefined;
      if (!isCount(m.size) || !isCount(m.chunks) || !isCount(m.chunkBytes) || (m.chunkBytes as number) < 1) return undefined;
      if (typeof m.sha256 !== 'string' || !new RegExp(`^[0-9a-f]{${SHA256_HEX_CHARS}}$`).test(m.sha256)) return undefined;
      if (Math.ceil((m.size as number) / (m.chunkBytes as number)) !== m.chunks) return undefined;
      return {
        t: 'file-offer',
        id: m.id,
        ts: m.ts,
        file: m.file,
        name: m.name,
        size: m.size,
        mime: m.mime,
        sha256: m.sha256,
        chunkBytes: m.chunkBytes,
        chunks: m.chunks,
      };
    }
    case 'file-accept':
    case 'file-decline':
      return isId(m.file, APP_ID_BYTES) ? { t: m.t, ts: m.ts, file: m.file } : undefined;
    case 'file-progress':
      return isId(m.file, APP_ID_BYTES) && isCount(m.next) ? { t: 'file-progress', ts: m.ts, file: m.file, next: m.next } : undefined;
    case 'file-cancel':
      return isId(m.file, APP_ID_BYTES) && boundedText(m.code, MAX_CANCEL_CODE_BYTES) ? { t: 'file-cancel', ts: m.ts, file: m.file, code: m.code } : undefined;
    case 'file-resend': {
      if (!isId(m.file, APP_ID_BYTES) || !Array.isArray(m.ranges) || m.ranges.length === 0 || m.ranges.length > MAX_RESEND_RANGES) return undefined;
      const ranges: [number, number][] = [];
      let total = 0;
      for (const range of m.ranges as unknown[]) {
        if (!Array.isArray(range) || range.length !== 2 || !isCount(range[0]) || !isCount(range[1]) || range[1] <= range[0]) return undefined;
        total += range[1] - range[0];
        if (total > MAX_RESEND_CHUNKS) return undefined;
        ranges.push([range[0], range[1]]);
      }
      return { t: 'file-resend', ts: m.ts, file: m.file, ranges };
    }
    case 'key-request':
      return { t: 'key-request', ts: m.ts };
    case 'edit':
    case 'delete':
    case 'react':
      return decodeActionPayload(m, m.t, m.ts);
    case 'receipt': {
      const ids = (list: unknown): list is string[] => Array.isArray(list) && list.length <= MAX_RECEIPT_IDS && list.every((x) => isId(x, APP_ID_BYTES));
      if (!ids(m.d) || !ids(m.r) || m.d.length + m.r.length === 0) return undefined;
      return { t: 'receipt', ts: m.ts, d: [...new Set(m.d)], r: [...new Set(m.r)] };
    }
    default:
      return undefined;
  }
}
