/**
 * Edits, deletes for everyone and reactions (PROTOCOL C.11): the rules that decide whether an
 * action may change a stored message, applying them to what arrives and to what I do, and
 * holding actions that arrive before their message.
 *
 * Authorship is never taken from the payload: an action's sender is the member whose
 * signature the envelope carried (receive.ts learns it from openGroup/openDirect), and a
 * message's timeline id is `<author identity id>/<message id>`. An edit or a delete only
 * ever looks for `<sender>/<id>`, so a member can at most act on its own messages.
 */
import { randomBytes, toBase64Url, utf8 } from '@sealroom/protocol';
import type { FileMessage, TextMessage, TimelineItem } from './api.js';
import { isReactionEmoji, type ActionPayload, type MessageRef } from './action-payloads.js';
import { SealroomClientError } from './errors.js';
import type { EventHub } from './events.js';
import type { TaskLock } from './lock.js';
import type { TextRewrite } from './intent-rewrite.js';
import type { Outbox } from './outbox.js';
import { APP_ID_BYTES, MAX_TEXT_BYTES } from './payload-fields.js';
import type { Clock } from './platform.js';
import type { SentLog } from './resend-after-commit.js';
import type { Roster } from './roster.js';
import { itemSeenKey, type SeenIds } from './seen-ids.js';
import type { Timeline, TimelineWriter } from './timeline.js';
import type { Warn } from './warnings.js';

/**
 * Actions held for messages not (yet) here, across all targets: a catch-up reorders a few,
 * a hostile member naming ids that never come must not grow memory. Oldest go first.
 */
export const MAX_PENDING_ACTIONS = 256;
/** Distinct emoji one member may have on one message: enough for anyone, bounded storage. */
export const MAX_REACTIONS_PER_MEMBER = 16;
/** De-duplication key prefix of actions (by sender and action id). */
const ACTION_SEEN_PREFIX = 'act/';

/** A message that actions can refer to. */
export type Actionable = TextMessage | FileMessage;

interface Held {
  payload: ActionPayload;
  from: string;
  directTo: string | null;
}

export interface MessageActionsPort {
  readonly roomId: string;
  /** My identity id, b64. */
  readonly myId: string;
  readonly lock: TaskLock;
  readonly timeline: TimelineWriter & Pick<Timeline, 'get'>;
  readonly seen: Pick<SeenIds, 'has' | 'remember'>;
  readonly roster: Pick<Roster, 'has' | 'findMentions'>;
  readonly outbox: Pick<Outbox, 'queueLocked' | 'flush' | 'rewriteText'>;
  readonly sentLog: Pick<SentLog, 'rewriteText'>;
  readonly events: EventHub;
  readonly clock: Clock;
  readonly warn: Warn;
}

/** The reference to a stored message: its author and its own id (the rest of its timeline id). */
export function refOf(item: Actionable): MessageRef {
  return { by: item.sender, id: item.id.slice(item.sender.length + 1) };
}

/** The timeline id of a referenced message. */
export const refItemId = (ref: MessageRef): string => itemSeenKey(ref.by, ref.id);

/** What is left of a message deleted for everyone: who sent it and when, nothing it said. */
export function tombstone(item: TextMessage): TextMessage {
  const { replyTo: _reply, editedAt: _edited, reactions: _reactions, ...kept } = item;
  return { ...kept, text: '', mentions: [], mentionsMe: false, deleted: true };
}

/** `item` with `member`'s reaction `emoji` on or off; undefined when nothing changes or over the bound. */
export function withReaction<T extends Actionable>(item: T, member: string, emoji: string, on: boolean): T | undefined {
  const reactions = item.reactions ?? {};
  const who = reactions[emoji] ?? [];
  if (who.includes(member) === on) return undefined;
  if (on && Object.values(reactions).filter((ids) => ids.includes(member)).length >= MAX_REACTIONS_PER_MEMBER) return undefined;
  const next = { ...reactions };
  const changed = on ? [...who, member] : who.filter((id) => id !== member);
  if (changed.length === 0) delete next[emoji];
  else next[emoji] = changed;
  return { ...item, reactions: next };
}

export class MessageActions {
  /** Held actions by target timeline id, in arrival order (Map order: oldest target first). */
  private readonly pending = new Map<string, Held[]>();
  private heldCount = 0;

  constructor(private readonly port: MessageActionsPort) {}

  // ---------------------------------------------------------------------------------
  // Receiving (caller holds the lock)
  // ---------------------------------------------------------------------------------

  /** An action from `from` (authenticated sender); `directTo` is set when it came privately. */
  async onAction(payload: ActionPayload, from: string, directTo: string | null): Promise<void> {
    const { seen, timeline, warn } = this.port;
    const key = `${ACTION_SEEN_PREFIX}${itemSeenKey(from, payload.id)}`;
    if (seen.has(key)) return;
    // Direct envelopes have no replay window: this key is all that stops a replay (seen-ids.ts).
    seen.remember(key, directTo !== null);
    if (payload.t !== 'react' && payload.ref.by !== from) {
      return warn('bad-message', from, 'NOT_AUTHOR', 'an edit or delete of another member’s message was ignored');
    }
    const target = refItemId(payload.ref);
    const item = timeline.get(target);
    if (item === undefined || item.kind === 'system') {
      if (payload.t !== 'delete') return this.hold(target, { payload, from, directTo });
      // Deleted before it came (or it never will): remembered as seen, it is never shown.
      this.drop(target);
      if (!seen.has(target)) seen.remember(target, directTo !== null);
      return;
    }
    return this.apply(item, payload, from, directTo);
  }

  /** A message was stored: the actions that waited for it apply now. */
  async arrived(itemId: string): Promise<void> {
    const held = this.pending.get(itemId);
    if (held === undefined) return;
    this.drop(itemId);
    for (const { payload, from, directTo } of held) {
      const item = this.port.timeline.get(itemId);
      if (item === undefined || item.kind === 'system') return;
      await this.apply(item, payload, from, directTo);
    }
  }

  private async apply(item: Actionable, payload: ActionPayload, from: string, directTo: string | null): Promise<void> {
    const { warn, roster, myId } = this.port;
    // An action travels as its message did: a private message's only between its two people.
    const privateTo = item.kind === 'text' ? item.directTo : null;
    if ((privateTo === null) !== (directTo === null) || (privateTo !== null && from !== item.sender && from !== privateTo)) {
      return warn('bad-message', from, 'BAD_TARGET', 'an action did not travel the way its message did and was ignored');
    }
    if (payload.t !== 'react' && item.kind !== 'text') return warn('bad-message', from, 'BAD_TARGET', 'only a text can be edited or deleted');
    if (item.kind === 'text' && item.deleted === true) return;
    let next: Actionable | undefined;
    switch (payload.t) {
      case 'edit': {
        const text = item as TextMessage;
        // Several edits: the author's latest wins, whatever order they arrive in.
        if ((text.editedAt ?? -1) >= payload.ts) return;
        const mentions = payload.mentions.filter((m) => roster.has(m));
        next = { ...text, text: payload.body, mentions, mentionsMe: mentions.includes(myId), editedAt: payload.ts };
        break;
      }
      case 'delete':
        this.drop(item.id);
        next = tombstone(item as TextMessage);
        break;
      case 'react':
        next = withReaction(item, from, payload.emoji, payload.on);
        break;
    }
    if (next !== undefined) await this.store(next);
  }

  private hold(target: string, held: Held): void {
    if (this.heldCount >= MAX_PENDING_ACTIONS) {
      const [oldest, list] = this.pending.entries().next().value!;
      list.shift();
      this.heldCount--;
      if (list.length === 0) this.pending.delete(oldest);
    }
    const list = this.pending.get(target);
    if (list === undefined) this.pending.set(target, [held]);
    else list.push(held);
    this.heldCount++;
  }

  private drop(target: string): void {
    this.heldCount -= this.pending.get(target)?.length ?? 0;
    this.pending.delete(target);
  }

  // ---------------------------------------------------------------------------------
  // My actions
  // ---------------------------------------------------------------------------------

  react(itemId: string, emoji: string): Promise<Actionable> {
    if (!isReactionEmoji(emoji)) return Promise.reject(new SealroomClientError('BAD_REACTION'));
    return this.port.lock.run(async () => {
      const item = this.target(itemId);
      const on = !(item.reactions?.[emoji] ?? []).includes(this.port.myId);
      const next = withReaction(item, this.port.myId, emoji, on);
      if (next === undefined) throw new SealroomClientError('BAD_REACTION', 'too many reactions on one message');
      await this.send(item, { t: 'react', id: this.newId(), ts: this.port.clock.now(), ref: refOf(item), emoji, on });
      return this.store(next);
    });
  }

  edit(itemId: string, text: string): Promise<TextMessage> {
    if (utf8(text).length > MAX_TEXT_BYTES) return Promise.reject(new SealroomClientError('MESSAGE_TOO_LARGE'));
    return this.port.lock.run(async () => {
      const item = this.ownText(itemId);
      const ts = Math.max(this.port.clock.now(), (item.editedAt ?? -1) + 1);
      const mentions = this.port.roster.findMentions(text);
      await this.forgetWords(item, { body: text, mentions });
      await this.send(item, { t: 'edit', id: this.newId(), ts, ref: refOf(item), body: text, mentions });
      return this.store({ ...item, text, mentions, editedAt: ts });
    });
  }

  remove(itemId: string): Promise<TextMessage> {
    return this.port.lock.run(async () => {
      const item = this.ownText(itemId);
      await this.forgetWords(item, null);
      await this.send(item, { t: 'delete', id: this.newId(), ts: this.port.clock.now(), ref: refOf(item) });
      return this.store(tombstone(item));
    });
  }

  /** A message actions may refer to: a text or file here, not deleted. Rejects `UNKNOWN_MESSAGE`. */
  target(itemId: string): Actionable {
    const item = this.port.timeline.get(itemId);
    if (item === undefined || item.kind === 'system' || (item.kind === 'text' && item.deleted === true)) throw new SealroomClientError('UNKNOWN_MESSAGE');
    return item;
  }

  private ownText(itemId: string): TextMessage {
    const item = this.target(itemId);
    if (item.kind !== 'text' || item.sender !== this.port.myId) throw new SealroomClientError('NOT_AUTHOR');
    return item;
  }

  /** What I still hold to send of my message takes its new words, or goes (intent-rewrite.ts). */
  private async forgetWords(item: TextMessage, rewrite: TextRewrite): Promise<void> {
    await this.port.outbox.rewriteText(item.id, rewrite);
    this.port.sentLog.rewriteText(item.id, rewrite);
  }

  /** Queues an action the way its message went: to the room, or privately to the other person. */
  private async send(item: Actionable, payload: ActionPayload): Promise<void> {
    const { outbox, myId } = this.port;
    const privateTo = item.kind === 'text' ? item.directTo : null;
    if (privateTo === null) await outbox.queueLocked({ k: 'group', payload });
    else await outbox.queueLocked({ k: 'direct', to: item.sender === myId ? privateTo : item.sender, payload });
    void outbox.flush();
  }

  private async store<T extends Actionable>(next: T): Promise<T> {
    await this.port.timeline.update(next.id, () => next as TimelineItem);
    this.port.events.emit('message-updated', { roomId: this.port.roomId, item: next });
    return next;
  }

  private newId(): string {
    return toBase64Url(randomBytes(APP_ID_BYTES));
  }
}
