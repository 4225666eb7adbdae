/**
 * The C.11 payloads from untrusted members: edits, deletes, reactions and the reply reference
 * of a text decode only when every field is what the spec says, and round-trip exactly.
 */
import { toBase64Url, utf8 } from '@sealroom/protocol';
import { describe, expect, it } from 'vitest';
import { MAX_REACTION_BYTES, isReactionEmoji } from '../src/action-payloads.js';
import { MAX_TEXT_BYTES, decodePayload, encodePayload, type AppPayload } from '../src/payloads.js';

const id16 = toBase64Url(new Uint8Array(16).fill(7));
const id32 = toBase64Url(new Uint8Array(32).fill(9));
const ref = { by: id32, id: id16 };
const decodeJson = (value: unknown) => decodePayload(utf8(JSON.stringify(value)));

describe('C.11 action payloads', () => {
  it('round-trips edit, delete, react and a text that replies', () => {
    const payloads: AppPayload[] = [
      { t: 'edit', id: id16, ts: 1, ref, body: 'fixed @Bob', mentions: [id32] },
      { t: 'delete', id: id16, ts: 2, ref },
      { t: 'react', id: id16, ts: 3, ref, emoji: '👍', on: true },
      { t: 'react', id: id16, ts: 3, ref, emoji: '👨‍👩‍👧‍👦', on: false },
      { t: 'text', id: id16, ts: 4, body: 'yes', mentions: [], reply: ref },
    ];
    for (const payload of payloads) expect(decodePayload(encodePayload(payload))).toEqual(payload);
  });

  it('pins the bytes of a reaction (field names and order are the wire format)', () => {
    const bytes = encodePayload({ t: 'react', id: id16, ts: 3, ref, emoji: '🎉', on: true });
    expect(new TextDecoder().decode(bytes)).toBe(`{"v":1,"t":"react","id":"${id16}","ts":3,"ref":{"by":"${id32}","id":"${id16}"},"emoji":"🎉","on":true}`);
  });

  it('refuses malformed references, ids, bodies, emoji and flags', () => {
    const base = { v: 1, id: id16, ts: 1, ref };
    const bad: unknown[] = [
      { ...base, t: 'edit', body: 'x'.repeat(MAX_TEXT_BYTES + 1), mentions: [] },
      { ...base, t: 'edit', body: 42, mentions: [] },
      { ...base, t: 'edit', body: 'x', mentions: ['nope'] },
      { ...base, t: 'delete', ref: { by: id16, id: id16 } },
      { ...base, t: 'delete', ref: { by: id32, id: id32 } },
      { ...base, t: 'delete', ref: [id32, id16] },
      { ...base, t: 'delete', ref: null },
      { ...base, t: 'delete', id: 'short' },
      { ...base, t: 'delete', ts: -1 },
      { ...base, t: 'react', emoji: '👍', on: 'yes' },
      { ...base, t: 'react', emoji: 'a', on: true },
      { ...base, t: 'react', emoji: '👍👍', on: true },
      { ...base, t: 'react', emoji: '1', on: true },
      { ...base, t: 'react', emoji: '<img>', on: true },
      { ...base, t: 'react', emoji: '👍\u202e', on: true },
      { ...base, t: 'react', emoji: '', on: true },
      { ...base, t: 'react', emoji: '__proto__', on: true },
      { v: 1, t: 'text', id: id16, ts: 1, body: 'x', mentions: [], reply: { by: id32 } },
      { v: 1, t: 'text', id: id16, ts: 1, body: 'x', mentions: [], reply: 'id' },
    ];
    for (const value of bad) expect(decodeJson(value), JSON.stringify(value)).toBeUndefined();
  });

  it('takes exactly one emoji grapheme of bounded size as a reaction', () => {
    for (const ok of ['👍', '❤️', '😂', '😮', '😢', '🎉', '🇫🇷', '1️⃣', '👍🏽', '🏳️‍🌈', '🧑🏻‍❤️‍💋‍🧑🏼']) expect(isReactionEmoji(ok), ok).toBe(true);
    for (const no of ['', 'a', 'ab', '👍 ', ' 👍', '👍👎', '#', '\u200d', '\ufe0f', `${'👍'}${'\u{1F3FB}'.repeat(40)}`])
      expect(isReactionEmoji(no), no).toBe(false);
    expect(isReactionEmoji('x'.repeat(MAX_REACTION_BYTES + 1))).toBe(false);
  });
});
