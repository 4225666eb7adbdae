/**
 * The field checks every Part C payload decoder shares (payloads.ts, action-payloads.ts), and
 * the sizes they check. Each check is a type guard over an untrusted JSON value.
 */
import { fromBase64Url, utf8 } from '@sealroom/protocol';

/** Application message ids: 16 random bytes (base64url, 22 characters). */
export const APP_ID_BYTES = 16;
/** Identity ids (mention targets, direct recipients, authors): 32 bytes (base64url, 43 characters). */
export const IDENTITY_ID_BYTES = 32;
/** Longest text body, in UTF-8 bytes: a long message, far below the envelope limit. */
export const MAX_TEXT_BYTES = 32 * 1024;
/** Most mentions in one message: a large room, not an amplification vector. */
export const MAX_MENTIONS = 256;

export const isId = (value: unknown, bytes: number): value is string => typeof value === 'string' && fromBase64Url(value)?.length === bytes;
export const isTime = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
export const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
export const boundedText = (value: unknown, maxBytes: number): value is string => typeof value === 'string' && utf8(value).length <= maxBytes;

/** The mention list of a text or an edit (absent: none): identity ids, de-duplicated; undefined if malformed. */
export function decodeMentions(value: unknown): string[] | undefined {
  const mentions = value ?? [];
  if (!Array.isArray(mentions) || mentions.length > MAX_MENTIONS || !mentions.every((x) => isId(x, IDENTITY_ID_BYTES))) return undefined;
  return [...new Set(mentions as string[])];
}
