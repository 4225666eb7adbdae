/**
 * Receipts (receipts.ts, PROTOCOL C.12) against a fake room: batching on an injected clock,
 * the receipt payload's decoder, who a receipt can speak for, and read receipts turned off.
 */
import { describe, expect, it } from 'vitest';
import { toBase64Url, utf8 } from '@sealroom/protocol';
import type { ClientEvent, MessageReceipts, TextMessage, TimelineItem } from '../src/api.js';
import { EventHub } from '../src/events.js';
import { APP_ID_BYTES, MAX_RECEIPT_IDS, decodePayload, encodePayload } from '../src/payloads.js';
import type { Clock } from '../src/platform.js';
import { MAX_UNREAD_TRACKED, RECEIPT_BATCH_MS, Receipts, type ReceiptPayload, type ReceiptSettings } from '../src/receipts.js';
import { itemSeenKey } from '../src/seen-ids.js';

const ALICE = toBase64Url(new Uint8Array(32).fill(1));
const BOB = toBase64Url(new Uint8Array(32).fill(2));
const CAROL = toBase64Url(new Uint8Array(32).fill(3));
const DAVE = toBase64Url(new Uint8Array(32).fill(4));

let counter = 0;
/** A fresh 16-byte application id. */
function appId(): string {
  counter += 1;
  const bytes = new Uint8Array(APP_ID_BYTES);
  new DataView(bytes.buffer).setUint32(0, counter);
  return toBase64Url(bytes);
}

/** Time moves only when the test says so; due timers run in order. */
function manualClock(): Clock & { advance(ms: number): Promise<void> } {
  let now = 1_700_000_000_000;
  let nextId = 1;
  const timers = new Map<number, { at: number; run: () => void }>();
  return {
    now: () => now,
    setTimeout(run, ms) {
      timers.set(nextId, { at: now + ms, run });
      return nextId++;
    },
    clearTimeout(id) {
      timers.delete(id as number);
    },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].run();
        // Let the flush the timer started reach its send and settle.
        for (let i = 0; i < 5; i += 1) await Promise.resolve();
      }
      now = end;
    },
  };
}

function textOf(sender: string, id: string, directTo: string | null = null): TextMessage {
  return {
    kind: 'text',
    id: itemSeenKey(sender, id),
    roomId: 'room',
    sender,
    senderName: 'someone',
    text: 'hi',
    mentions: [],
    mentionsMe: false,
    directTo,
    state: sender === ALICE ? 'pending' : 'received',
    sentAt: 0,
    receivedAt: 0,
    expiresAt: null,
  };
}

/** One member's receipts over a fake room of Alice, Bob and Carol. */
function member(me: string, options: { clock?: ReturnType<typeof manualClock>; settings?: ReceiptSettings; roster?: string[]; canSend?: () => boolean } = {}) {
  const clock = options.clock ?? manualClock();
  const roster = options.roster ?? [ALICE, BOB, CAROL];
  const items = new Map<string, TimelineItem>();
  const sent: ReceiptPayload[] = [];
  const events: ClientEvent[] = [];
  const hub = new EventHub();
  hub.onEvent((e) => events.push(e));
  const receipts = new Receipts({
    myId: me,
    roomId: 'room',
    clock,
    events: hub,
    settings: options.settings ?? { readReceipts: true },
    timeline: {
      update: async (id, change) => {
        const item = items.get(id);
        if (item === undefined) return undefined;
        const next = change(item);
        items.set(id, next);
        return next;
      },
    },
    audience: (directTo) => (directTo === null ? roster.filter((id) => id !== me) : [directTo]),
    canSend: options.canSend ?? (() => true),
    send: async (payload) => {
      // What goes out is what the other side decodes.
      expect(decodePayload(encodePayload(payload))).toEqual(payload);
      sent.push(payload);
    },
  });
  /** A message of mine the relay has taken. */
  const mine = async (directTo: string | null = null): Promise<string> => {
    const id = appId();
    // As Sending.delivered does: the item is marked sent, then its audience recorded.
    items.set(itemSeenKey(me, id), { ...textOf(me, id, directTo), state: 'sent' });
    await receipts.sent(itemSeenKey(me, id));
    return id;
  };
  const receiptsOf = (id: string): MessageReceipts | undefined => (items.get(itemSeenKey(me, id)) as TextMessage | undefined)?.receipts;
  return { receipts, clock, sent, events, mine, receiptsOf, roster, items };
}

describe('the receipt payload', () => {
  const id = appId();

  it('round-trips and drops repeated ids', () => {
    const payload: ReceiptPayload = { t: 'receipt', ts: 5, d: [id], r: [] };
    expect(decodePayload(encodePayload(payload))).toEqual(payload);
    expect(decodePayload(utf8(JSON.stringify({ v: 1, t: 'receipt', ts: 5, d: [id, id], r: [id] })))).toEqual({ t: 'receipt', ts: 5, d: [id], r: [id] });
  });

  it('refuses anything unexpected: empty, over the bound, bad ids, missing lists, wrong types', () => {
    const many = Array.from({ length: MAX_RECEIPT_IDS + 1 }, () => appId());
    const bad: unknown[] = [
      { v: 1, t: 'receipt', ts: 5, d: [], r: [] },
      { v: 1, t: 'receipt', ts: 5, d: many, r: [] },
      { v: 1, t: 'receipt', ts: 5, d: [], r: many },
      { v: 1, t: 'receipt', ts: 5, d: ['short'], r: [] },
      { v: 1, t: 'receipt', ts: 5, d: [ALICE], r: [] }, // an identity id is 32 bytes, not an app id
      { v: 1, t: 'receipt', ts: 5, d: [id] },
      { v: 1, t: 'receipt', ts: 5, d: id, r: [] },
      { v: 1, t: 'receipt', ts: 5, d: [7], r: [] },
      { v: 1, t: 'receipt', ts: -1, d: [id], r: [] },
      { v: 2, t: 'receipt', ts: 5, d: [id], r: [] },
    ];
    for (const value of bad) expect(decodePayload(utf8(JSON.stringify(value))), JSON.stringify(value).slice(0, 80)).toBeUndefined();
    expect(decodePayload(utf8(JSON.stringify({ v: 1, t: 'receipt', ts: 5, d: many.slice(1), r: [] })))).toBeDefined();
  });
});

describe('batching', () => {
  it('sends one receipt per interval for a burst, not one per message', async () => {
    const bob = member(BOB);
    for (let i = 0; i < 40; i += 1) bob.receipts.received(appId());
    expect(bob.sent).toHaveLength(0);
    await bob.clock.advance(RECEIPT_BATCH_MS - 1);
    expect(bob.sent).toHaveLength(0);
    await bob.clock.advance(1);
    expect(bob.sent).toHaveLength(1);
    expect(bob.sent[0]!.d).toHaveLength(40);
    await bob.clock.advance(10 * RECEIPT_BATCH_MS);
    expect(bob.sent).toHaveLength(1); // nothing new, nothing sent
  });

  it('100 messages from 3 senders over 5 s: at most 18 receipt envelopes in a room of 3, not one per delivery (200)', async () => {
    // Alice, Bob and Carol each send about a third; every message reaches the other two,
    // spread evenly over 5 seconds; each reader marks the room read as it goes (the room is open).
    const clock = manualClock();
    const members = [ALICE, BOB, CAROL].map((id) => member(id, { clock }));
    const MESSAGES = 100;
    const SPREAD_MS = 5_000;
    for (let i = 0; i < MESSAGES; i += 1) {
      const from = i % 3;
      const id = appId();
      for (const [index, m] of members.entries()) {
        if (index === from) continue;
        m.receipts.received(id);
        m.receipts.markRead();
      }
      await clock.advance(SPREAD_MS / MESSAGES);
    }
    await clock.advance(RECEIPT_BATCH_MS);
    const envelopes = members.reduce((sum, m) => sum + m.sent.length, 0);
    const confirmations = members.reduce((sum, m) => sum + m.sent.reduce((n, p) => n + p.r.length, 0), 0);
    console.log(`receipts: ${MESSAGES} messages from 3 senders in ${SPREAD_MS} ms → ${envelopes} receipt envelopes (${confirmations} read confirmations)`);
    expect(confirmations).toBe(MESSAGES * 2);
    // One per member per second of traffic: 3 × 5, plus the tail of each member.
    expect(envelopes).toBeLessThanOrEqual(3 * (SPREAD_MS / RECEIPT_BATCH_MS + 1));
    expect(envelopes).toBeLessThan(MESSAGES / 5);
  });

  it('splits a long catch-up into receipts of at most MAX_RECEIPT_IDS ids, one per interval', async () => {
    const bob = member(BOB);
    const ids = Array.from({ length: MAX_RECEIPT_IDS * 2 + 10 }, () => appId());
    for (const id of ids) bob.receipts.received(id);
    await bob.clock.advance(3 * RECEIPT_BATCH_MS);
    expect(bob.sent.map((p) => p.d.length)).toEqual([MAX_RECEIPT_IDS, MAX_RECEIPT_IDS, 10]);
    expect(bob.sent.flatMap((p) => p.d)).toEqual(ids);
  });

  it('keeps receipts while it cannot send and sends them once it can', async () => {
    let online = false;
    const bob = member(BOB, { canSend: () => online });
    const id = appId();
    bob.receipts.received(id);
    await bob.clock.advance(5 * RECEIPT_BATCH_MS);
    expect(bob.sent).toHaveLength(0);
    online = true;
    await bob.clock.advance(RECEIPT_BATCH_MS);
    expect(bob.sent).toEqual([{ t: 'receipt', ts: expect.any(Number), d: [id], r: [] }]);
  });

  it('reports a message read and not delivered as well (read implies delivered)', async () => {
    const bob = member(BOB);
    const [a, b] = [appId(), appId()];
    bob.receipts.received(a);
    bob.receipts.markRead();
    bob.receipts.received(b);
    await bob.clock.advance(RECEIPT_BATCH_MS);
    expect(bob.sent).toEqual([{ t: 'receipt', ts: expect.any(Number), d: [b], r: [a] }]);
  });

  it('remembers at most MAX_UNREAD_TRACKED unread messages for a later read receipt, the newest', async () => {
    const bob = member(BOB);
    const ids = Array.from({ length: MAX_UNREAD_TRACKED + 5 }, () => appId());
    for (const id of ids) bob.receipts.received(id);
    await bob.clock.advance(10 * RECEIPT_BATCH_MS);
    bob.receipts.markRead();
    await bob.clock.advance(10 * RECEIPT_BATCH_MS);
    expect(bob.sent.flatMap((p) => p.r)).toEqual(ids.slice(5));
  });
});

describe('counting receipts of my messages', () => {
  it('delivered to 2 of 2, then read by both', async () => {
    const alice = member(ALICE);
    const id = await alice.mine();
    expect(alice.receiptsOf(id)).toEqual({ audience: [BOB, CAROL], delivered: [], read: [] });
    await alice.receipts.onReceipt({ t: 'receipt', ts: 1, d: [id], r: [] }, BOB);
    await alice.receipts.onReceipt({ t: 'receipt', ts: 1, d: [id], r: [] }, CAROL);
    expect(alice.receiptsOf(id)).toEqual({ audience: [BOB, CAROL], delivered: [BOB, CAROL], read: [] });
    await alice.receipts.onReceipt({ t: 'receipt', ts: 2, d: [], r: [id] }, CAROL);
    await alice.receipts.onReceipt({ t: 'receipt', ts: 2, d: [], r: [id] }, BOB);
    expect(alice.receiptsOf(id)).toEqual({ audience: [BOB, CAROL], delivered: [BOB, CAROL], read: [CAROL, BOB] });
    const emitted = alice.events.filter((e) => e.type === 'receipt');
    expect(emitted).toHaveLength(5); // sent, then one per change
    // A repeated receipt changes nothing and says nothing.
    await alice.receipts.onReceipt({ t: 'receipt', ts: 3, d: [id], r: [id] }, BOB);
    expect(alice.events.filter((e) => e.type === 'receipt')).toHaveLength(5);
  });

  it('a receipt speaks only for its authenticated sender: a member cannot confirm for another', async () => {
    const alice = member(ALICE);
    const id = await alice.mine();
    // Mallory's payload names Bob; the decoder keeps no such field and the sender is the signer.
    const forged = decodePayload(utf8(JSON.stringify({ v: 1, t: 'receipt', ts: 1, d: [id], r: [id], from: BOB, by: BOB, member: BOB })));
    expect(forged).toEqual({ t: 'receipt', ts: 1, d: [id], r: [id] });
    await alice.receipts.onReceipt(forged as ReceiptPayload, CAROL);
    expect(alice.receiptsOf(id)).toEqual({ audience: [BOB, CAROL], delivered: [CAROL], read: [CAROL] });
  });

  it('ignores receipts for unknown ids, for other members’ messages, and from outside the audience', async () => {
    const alice = member(ALICE);
    const id = await alice.mine();
    const direct = await alice.mine(BOB);
    expect(alice.receiptsOf(direct)!.audience).toEqual([BOB]);
    const before = alice.events.length;
    // An id nobody sent, an id of Bob's own message (Alice holds no such item of hers).
    await alice.receipts.onReceipt({ t: 'receipt', ts: 1, d: [appId(), appId()], r: [appId()] }, BOB);
    // Carol was not sent the private message; Dave joined after both were sent.
    await alice.receipts.onReceipt({ t: 'receipt', ts: 1, d: [direct], r: [direct] }, CAROL);
    await alice.receipts.onReceipt({ t: 'receipt', ts: 1, d: [id, direct], r: [id] }, DAVE);
    // My own receipts coming back say nothing about my messages.
    await alice.receipts.onReceipt({ t: 'receipt', ts: 1, d: [id], r: [id] }, ALICE);
    expect(alice.events.length).toBe(before);
    expect(alice.receiptsOf(id)).toEqual({ audience: [BOB, CAROL], delivered: [], read: [] });
    expect(alice.receiptsOf(direct)).toEqual({ audience: [BOB], delivered: [], read: [] });
  });

  it('counts against the members of the message’s send time as members join and leave', async () => {
    const roster = [ALICE, BOB, CAROL];
    const alice = member(ALICE, { roster });
    const first = await alice.mine();
    roster.push(DAVE); // Dave joins
    const second = await alice.mine();
    roster.splice(roster.indexOf(CAROL), 1); // Carol leaves
    const third = await alice.mine();
    expect(alice.receiptsOf(first)!.audience).toEqual([BOB, CAROL]);
    expect(alice.receiptsOf(second)!.audience).toEqual([BOB, CAROL, DAVE]);
    expect(alice.receiptsOf(third)!.audience).toEqual([BOB, DAVE]);
    await alice.receipts.onReceipt({ t: 'receipt', ts: 1, d: [first, second, third], r: [] }, DAVE);
    expect(alice.receiptsOf(first)!.delivered).toEqual([]);
    expect(alice.receiptsOf(second)!.delivered).toEqual([DAVE]);
    expect(alice.receiptsOf(third)!.delivered).toEqual([DAVE]);
    // Sent again after a commit (resend-after-commit): the new epoch's members join the audience, none leave it.
    await alice.receipts.sent(itemSeenKey(ALICE, first));
    expect(alice.receiptsOf(first)!.audience).toEqual([BOB, CAROL, DAVE]);
  });
});

describe('a receipt that overtakes the relay’s acknowledgement', () => {
  it('is kept while the message is pending, then counted only if its member is in the audience', async () => {
    const alice = member(ALICE, { roster: [ALICE, BOB] });
    // A message of mine sent again after a reload: the others' receipts of its first copy
    // come with catch-up before the relay acknowledges the copy.
    const id = appId();
    const itemId = itemSeenKey(ALICE, id);
    alice.items.set(itemId, textOf(ALICE, id));
    await alice.receipts.onReceipt({ t: 'receipt', ts: 1, d: [], r: [id] }, BOB);
    await alice.receipts.onReceipt({ t: 'receipt', ts: 1, d: [id], r: [] }, DAVE); // not sealed for Dave
    await alice.receipts.sent(itemId);
    expect(alice.receiptsOf(id)).toEqual({ audience: [BOB], delivered: [BOB], read: [BOB] });
  });

  it('is ignored for a message stored before receipts existed (sent, no audience recorded)', async () => {
    const alice = member(ALICE);
    const id = appId();
    alice.items.set(itemSeenKey(ALICE, id), { ...textOf(ALICE, id), state: 'sent' });
    await alice.receipts.onReceipt({ t: 'receipt', ts: 1, d: [id], r: [id] }, BOB);
    expect(alice.receiptsOf(id)).toBeUndefined();
  });
});

describe('read receipts off', () => {
  it('sends delivery receipts only, and does not record others’ read receipts (Signal’s rule)', async () => {
    const settings = { readReceipts: false };
    const carol = member(CAROL, { settings });
    const id = appId();
    carol.receipts.received(id);
    carol.receipts.markRead();
    await carol.clock.advance(RECEIPT_BATCH_MS);
    expect(carol.sent).toEqual([{ t: 'receipt', ts: expect.any(Number), d: [id], r: [] }]);

    const mine = await carol.mine();
    await carol.receipts.onReceipt({ t: 'receipt', ts: 1, d: [], r: [mine] }, BOB);
    expect(carol.receiptsOf(mine)).toEqual({ audience: [ALICE, BOB], delivered: [BOB], read: [] });

    // Turned back on: what was seen while off is not reported read afterwards.
    settings.readReceipts = true;
    carol.receipts.markRead();
    await carol.clock.advance(RECEIPT_BATCH_MS);
    expect(carol.sent).toHaveLength(1);
  });
});
