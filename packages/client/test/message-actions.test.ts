/**
 * Edits, deletes and reactions as the receiver applies them (PROTOCOL C.11), driven through
 * the room's MessageActions with an in-memory timeline: who may change which message, what
 * happens to actions whose message is not here (yet), and what a deleted message leaves.
 * The same rules over real envelopes and a relay: message-actions-room.test.ts.
 */
import { toBase64Url } from '@sealroom/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ClientEvent, TextMessage, TimelineItem } from '../src/api.js';
import type { ActionPayload } from '../src/action-payloads.js';
import { EventHub } from '../src/events.js';
import { AsyncLock } from '../src/lock.js';
import { rewriteIntent, type TextRewrite } from '../src/intent-rewrite.js';
import { MAX_PENDING_ACTIONS, MAX_REACTIONS_PER_MEMBER, MessageActions, refItemId } from '../src/message-actions.js';
import type { OutboxIntent } from '../src/records.js';
import { SeenIds } from '../src/seen-ids.js';
import type { NewFile, NewSystem, NewText } from '../src/timeline.js';

const idOf = (fill: number, bytes: number) => toBase64Url(new Uint8Array(bytes).fill(fill));
const ALICE = idOf(1, 32);
const BOB = idOf(2, 32);
const MALLORY = idOf(3, 32);
const ME = idOf(4, 32);
const MSG = idOf(10, 16);
const OTHER_MSG = idOf(11, 16);
/** A distinct 16-byte id per number. */
function numbered(n: number): string {
  const bytes = new Uint8Array(16).fill(0xee);
  new DataView(bytes.buffer).setUint32(0, n);
  return toBase64Url(bytes);
}
let nextAction = 0;
const actionId = () => numbered(nextAction++);

/** A timeline that stores in memory, like timeline.ts without the vault. */
class MemoryTimeline {
  readonly items = new Map<string, TimelineItem>();
  get(id: string) {
    return this.items.get(id);
  }
  async add(partial: NewText | NewFile | NewSystem): Promise<never> {
    const item = { ...partial, roomId: 'r', receivedAt: 0, expiresAt: null } as TimelineItem;
    this.items.set(item.id, item);
    return item as never;
  }
  async update(id: string, change: (item: TimelineItem) => TimelineItem) {
    const item = this.items.get(id);
    if (item === undefined) return undefined;
    const next = change(item);
    this.items.set(id, next);
    return next;
  }
}

function text(sender: string, id: string, over: Partial<TextMessage> = {}): TextMessage {
  return {
    kind: 'text',
    id: `${sender}/${id}`,
    roomId: 'r',
    sentAt: 1,
    receivedAt: 1,
    expiresAt: null,
    sender,
    senderName: 'someone',
    text: 'the original words',
    mentions: [],
    mentionsMe: false,
    directTo: null,
    state: 'received',
    ...over,
  };
}

const edit = (by: string, id: string, body: string, ts = 5): ActionPayload => ({ t: 'edit', id: actionId(), ts, ref: { by, id }, body, mentions: [] });
const del = (by: string, id: string): ActionPayload => ({ t: 'delete', id: actionId(), ts: 6, ref: { by, id } });
const react = (by: string, id: string, emoji: string, on = true): ActionPayload => ({ t: 'react', id: actionId(), ts: 7, ref: { by, id }, emoji, on });

describe('message actions as received', () => {
  let timeline: MemoryTimeline;
  let record: { seen: string[]; seenControl: string[] };
  let seen: SeenIds;
  let events: ClientEvent[];
  let queued: OutboxIntent[];
  /** What the sent log holds (for a resend after a commit). */
  let sent: OutboxIntent[];
  let actions: MessageActions;

  beforeEach(() => {
    timeline = new MemoryTimeline();
    record = { seen: [], seenControl: [] };
    seen = new SeenIds(record);
    events = [];
    queued = [];
    sent = [];
    const rewrite = (list: OutboxIntent[], itemId: string, change: TextRewrite) => {
      const next = list.map((intent) => rewriteIntent(intent, itemId, change)).filter((intent): intent is OutboxIntent => intent !== null);
      list.splice(0, list.length, ...next);
    };
    const hub = new EventHub();
    hub.onEvent((e) => events.push(e));
    const warn = (kind: string, member: string | null, code: string, detail: string) =>
      void events.push({ type: 'warning', kind, roomId: 'r', member, code, detail } as ClientEvent);
    actions = new MessageActions({
      roomId: 'r',
      myId: ME,
      lock: new AsyncLock(),
      timeline,
      seen,
      roster: { has: (id) => [ALICE, BOB, MALLORY, ME].includes(id), findMentions: () => [] },
      outbox: {
        queueLocked: async (intent) => void queued.push(intent),
        flush: async () => undefined,
        rewriteText: async (itemId, change) => rewrite(queued, itemId, change),
      },
      sentLog: { rewriteText: (itemId, change) => rewrite(sent, itemId, change) },
      events: hub,
      clock: { now: () => 1_000, setTimeout: () => 0, clearTimeout: () => undefined },
      warn: warn as never,
    });
  });

  const warnings = () => events.filter((e) => e.type === 'warning').map((e) => (e.type === 'warning' ? e.code : ''));
  const stored = (sender: string, id: string) => timeline.get(`${sender}/${id}`) as TextMessage;

  it('applies an edit by the author: new text, "edited", no trace of the old text', async () => {
    timeline.items.set(`${ALICE}/${MSG}`, text(ALICE, MSG));
    await actions.onAction(edit(ALICE, MSG, 'better words'), ALICE, null);
    expect(stored(ALICE, MSG)).toMatchObject({ text: 'better words', editedAt: 5 });
    expect(JSON.stringify(stored(ALICE, MSG))).not.toContain('the original words');
    expect(events.some((e) => e.type === 'message-updated')).toBe(true);
  });

  it('ignores, with a warning, an edit forged by another member naming the author', async () => {
    timeline.items.set(`${ALICE}/${MSG}`, text(ALICE, MSG));
    await actions.onAction(edit(ALICE, MSG, 'Alice says: send me the keys'), MALLORY, null);
    expect(stored(ALICE, MSG).text).toBe('the original words');
    expect(warnings()).toEqual(['NOT_AUTHOR']);
  });

  it('ignores, with a warning, a delete forged by another member naming the author', async () => {
    timeline.items.set(`${ALICE}/${MSG}`, text(ALICE, MSG));
    await actions.onAction(del(ALICE, MSG), MALLORY, null);
    expect(stored(ALICE, MSG)).toMatchObject({ text: 'the original words' });
    expect(stored(ALICE, MSG).deleted).toBeUndefined();
    expect(warnings()).toEqual(['NOT_AUTHOR']);
  });

  it('a forger naming itself as author reaches only its own messages, never the one it means', async () => {
    timeline.items.set(`${ALICE}/${MSG}`, text(ALICE, MSG));
    await actions.onAction(del(MALLORY, MSG), MALLORY, null);
    await actions.onAction(edit(MALLORY, MSG, 'forged'), MALLORY, null);
    expect(stored(ALICE, MSG)).toMatchObject({ text: 'the original words' });
    expect(stored(ALICE, MSG).deleted).toBeUndefined();
  });

  it('a delete leaves a tombstone: no text, mentions, reply or reactions', async () => {
    timeline.items.set(`${ALICE}/${MSG}`, text(ALICE, MSG, { mentions: [ME], mentionsMe: true, replyTo: `${BOB}/${OTHER_MSG}`, reactions: { '👍': [BOB] } }));
    await actions.onAction(del(ALICE, MSG), ALICE, null);
    const item = stored(ALICE, MSG);
    expect(item).toMatchObject({ deleted: true, text: '', mentions: [], mentionsMe: false });
    expect(item.replyTo).toBeUndefined();
    expect(item.reactions).toBeUndefined();
    // Nothing brings it back: a later edit or reaction is ignored.
    await actions.onAction(edit(ALICE, MSG, 'back again', 9), ALICE, null);
    await actions.onAction(react(ALICE, MSG, '🎉'), BOB, null);
    expect(stored(ALICE, MSG)).toMatchObject({ deleted: true, text: '' });
    expect(stored(ALICE, MSG).reactions).toBeUndefined();
  });

  it('a delete of a message this device never got is remembered, so the message never shows', async () => {
    await actions.onAction(del(ALICE, MSG), ALICE, null);
    expect(timeline.items.size).toBe(0);
    // receive.ts drops a text whose key is already seen: this is that key.
    expect(seen.has(`${ALICE}/${MSG}`)).toBe(true);
    expect(warnings()).toEqual([]);
  });

  it('an edit that arrives before its message is applied when the message arrives', async () => {
    await actions.onAction(edit(ALICE, MSG, 'edited early'), ALICE, null);
    await actions.onAction(react(ALICE, MSG, '❤️'), BOB, null);
    timeline.items.set(`${ALICE}/${MSG}`, text(ALICE, MSG));
    await actions.arrived(`${ALICE}/${MSG}`);
    expect(stored(ALICE, MSG)).toMatchObject({ text: 'edited early', editedAt: 5, reactions: { '❤️': [BOB] } });
  });

  it('of two edits, the later one wins whatever order they arrive in', async () => {
    timeline.items.set(`${ALICE}/${MSG}`, text(ALICE, MSG));
    await actions.onAction(edit(ALICE, MSG, 'second', 20), ALICE, null);
    await actions.onAction(edit(ALICE, MSG, 'first', 10), ALICE, null);
    expect(stored(ALICE, MSG).text).toBe('second');
  });

  it('holds a bounded number of actions for messages that never come', async () => {
    for (let i = 0; i < MAX_PENDING_ACTIONS + 50; i++) {
      await actions.onAction({ t: 'react', id: numbered(i), ts: i, ref: { by: ALICE, id: numbered(i) }, emoji: '👍', on: true }, BOB, null);
    }
    expect((actions as unknown as { heldCount: number }).heldCount).toBe(MAX_PENDING_ACTIONS);
    // The oldest went first: the first message's reaction is gone, the last one's still waits.
    for (const i of [0, MAX_PENDING_ACTIONS + 49]) {
      timeline.items.set(`${ALICE}/${numbered(i)}`, text(ALICE, numbered(i)));
      await actions.arrived(`${ALICE}/${numbered(i)}`);
    }
    expect(stored(ALICE, numbered(0)).reactions).toBeUndefined();
    expect(stored(ALICE, numbered(MAX_PENDING_ACTIONS + 49)).reactions).toEqual({ '👍': [BOB] });
  });

  it('attributes a reaction to its authenticated sender; the same emoji again takes it back', async () => {
    timeline.items.set(`${ALICE}/${MSG}`, text(ALICE, MSG));
    await actions.onAction(react(ALICE, MSG, '👍'), BOB, null);
    await actions.onAction(react(ALICE, MSG, '👍'), MALLORY, null);
    expect(stored(ALICE, MSG).reactions).toEqual({ '👍': [BOB, MALLORY] });
    await actions.onAction(react(ALICE, MSG, '👍', false), BOB, null);
    expect(stored(ALICE, MSG).reactions).toEqual({ '👍': [MALLORY] });
    await actions.onAction(react(ALICE, MSG, '👍', false), MALLORY, null);
    expect(stored(ALICE, MSG).reactions).toEqual({});
  });

  it('a reaction to an unknown message changes nothing and is held, not shown', async () => {
    await actions.onAction(react(ALICE, MSG, '😮'), BOB, null);
    expect(timeline.items.size).toBe(0);
    expect(events.filter((e) => e.type === 'message-updated')).toEqual([]);
    expect(warnings()).toEqual([]);
  });

  it('bounds the distinct emoji one member puts on one message', async () => {
    timeline.items.set(`${ALICE}/${MSG}`, text(ALICE, MSG));
    const emoji = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊', '😋', '😎', '😍', '😘', '🥰', '😗', '😙', '😚'];
    for (const e of emoji) await actions.onAction(react(ALICE, MSG, e), MALLORY, null);
    expect(Object.keys(stored(ALICE, MSG).reactions ?? {})).toHaveLength(MAX_REACTIONS_PER_MEMBER);
  });

  it('ignores a replayed action (same sender and action id)', async () => {
    timeline.items.set(`${ALICE}/${MSG}`, text(ALICE, MSG));
    const on = react(ALICE, MSG, '👍');
    await actions.onAction(on, BOB, null);
    await actions.onAction(react(ALICE, MSG, '👍', false), BOB, null);
    await actions.onAction(on, BOB, null);
    expect(stored(ALICE, MSG).reactions).toEqual({});
  });

  it('keeps a private message’s actions private: one sent to the room is refused', async () => {
    timeline.items.set(`${ALICE}/${MSG}`, text(ALICE, MSG, { directTo: ME }));
    await actions.onAction(edit(ALICE, MSG, 'told everyone'), ALICE, null);
    await actions.onAction(react(ALICE, MSG, '👍'), MALLORY, ME);
    expect(stored(ALICE, MSG)).toMatchObject({ text: 'the original words' });
    expect(stored(ALICE, MSG).reactions).toBeUndefined();
    expect(warnings()).toEqual(['BAD_TARGET', 'BAD_TARGET']);
    await actions.onAction(edit(ALICE, MSG, 'privately edited'), ALICE, ME);
    expect(stored(ALICE, MSG).text).toBe('privately edited');
  });

  it('sends my actions the way the message went, and applies them here at once', async () => {
    timeline.items.set(`${ME}/${MSG}`, text(ME, MSG, { state: 'sent' }));
    timeline.items.set(`${BOB}/${OTHER_MSG}`, text(BOB, OTHER_MSG, { directTo: ME }));
    await actions.edit(`${ME}/${MSG}`, 'fixed a typo');
    await actions.react(`${BOB}/${OTHER_MSG}`, '🎉');
    await actions.react(`${BOB}/${OTHER_MSG}`, '🎉');
    await actions.remove(`${ME}/${MSG}`);
    expect(queued.map((q) => [q.k, q.k === 'direct' ? q.to : null, q.k === 'group' || q.k === 'direct' ? q.payload.t : null])).toEqual([
      ['group', null, 'edit'],
      ['direct', BOB, 'react'],
      ['direct', BOB, 'react'],
      ['group', null, 'delete'],
    ]);
    const reacts = queued.flatMap((q) => (q.k === 'direct' && q.payload.t === 'react' ? [q.payload.on] : []));
    expect(reacts).toEqual([true, false]);
    expect(stored(ME, MSG)).toMatchObject({ deleted: true, text: '' });
    expect(refItemId({ by: ME, id: MSG })).toBe(`${ME}/${MSG}`);
  });

  it('refuses to edit or delete someone else’s message, or to react with more than one emoji', async () => {
    timeline.items.set(`${BOB}/${MSG}`, text(BOB, MSG));
    await expect(actions.edit(`${BOB}/${MSG}`, 'mine now')).rejects.toMatchObject({ code: 'NOT_AUTHOR' });
    await expect(actions.remove(`${BOB}/${MSG}`)).rejects.toMatchObject({ code: 'NOT_AUTHOR' });
    await expect(actions.react(`${BOB}/${MSG}`, '👍👍')).rejects.toMatchObject({ code: 'BAD_REACTION' });
    await expect(actions.react(`${BOB}/${OTHER_MSG}`, '👍')).rejects.toMatchObject({ code: 'UNKNOWN_MESSAGE' });
    expect(queued).toEqual([]);
  });

  it('an edit or delete of mine leaves no earlier words in what I still hold to send', async () => {
    const mine = text(ME, MSG, { state: 'sent' });
    const other = text(ME, OTHER_MSG, { state: 'pending' });
    timeline.items.set(mine.id, mine);
    timeline.items.set(other.id, other);
    sent.push({ k: 'group', itemId: mine.id, payload: { t: 'text', id: MSG, ts: 1, body: 'the original words', mentions: [] } });
    queued.push({ k: 'group', itemId: other.id, payload: { t: 'text', id: OTHER_MSG, ts: 2, body: 'not sent yet', mentions: [] } });

    await actions.edit(mine.id, 'second thoughts');
    expect(JSON.stringify(sent)).not.toContain('the original words');
    expect(sent).toMatchObject([{ payload: { t: 'text', body: 'second thoughts' } }]);

    await actions.remove(mine.id);
    await actions.remove(other.id);
    expect(sent).toEqual([]);
    expect(JSON.stringify(queued)).not.toContain('not sent yet');
    expect(queued.map((q) => (q.k === 'group' ? q.payload.t : q.k))).toEqual(['edit', 'delete', 'delete']);
  });
});
