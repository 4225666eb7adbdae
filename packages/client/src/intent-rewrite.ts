/**
 * What an edit or a delete for everyone (PROTOCOL C.11) changes in what I still hold to send:
 * the outbox (not yet acknowledged) and the sent log (kept for a resend after a commit). Both
 * hold the text payload of my message; after an edit they must say the new words, after a
 * delete nothing, so no earlier words stay stored on this device.
 */
import type { OutboxIntent } from './records.js';

/** The new words of an edited message, or null when it was deleted. */
export type TextRewrite = { body: string; mentions: string[] } | null;

/**
 * `intent` after the rewrite of my message `itemId`: unchanged (the same object) when it is
 * not that message's text, the rewritten intent, or null when it must be dropped.
 */
export function rewriteIntent(intent: OutboxIntent, itemId: string, rewrite: TextRewrite): OutboxIntent | null {
  if ((intent.k !== 'group' && intent.k !== 'direct') || intent.itemId !== itemId || intent.payload.t !== 'text') return intent;
  if (rewrite === null) return null;
  return { ...intent, payload: { ...intent.payload, body: rewrite.body, mentions: rewrite.mentions } };
}
