/**
 * The timeline items a backup carries (backup-shapes.ts): what replies, reactions, edits,
 * deletes and receipts left on an item comes back as it was, and a malformed one is refused
 * with the path of the field instead of reaching the app, which renders these fields.
 */
import { describe, expect, it } from 'vitest';
import { BackupShapeError, readStoredItem } from '../src/backup-shapes.js';

const ROOM = 'r'.repeat(43);
const ALICE = 'A'.repeat(43);
const BOB = 'B'.repeat(43);

function textItem(extra: Record<string, unknown>): unknown {
  return {
    seq: 3,
    item: {
      kind: 'text',
      id: `${ALICE}/${'m'.repeat(22)}`,
      roomId: ROOM,
      sentAt: 1,
      receivedAt: 2,
      expiresAt: null,
      sender: ALICE,
      senderName: 'Alice',
      state: 'sent',
      text: 'lunch?',
      mentions: [],
      mentionsMe: false,
      directTo: null,
      ...extra,
    },
  };
}

describe('backup timeline items', () => {
  it('keeps a reply, an edit, a tombstone, reactions and receipts as they were', () => {
    const extra = {
      replyTo: `${BOB}/${'q'.repeat(22)}`,
      editedAt: 5,
      deleted: true,
      reactions: { '👍': [ALICE, BOB], '🎉': [BOB] },
      receipts: { audience: [BOB], delivered: [BOB], read: [] },
    };
    const { item } = readStoredItem(textItem(extra), 'items[0]', ROOM);
    expect(item).toMatchObject(extra);
  });

  it.each([
    ['reactions', 'not a map', 'items[0].item.reactions'],
    ['reactions', { '👍': 'Bob' }, 'items[0].item.reactions.👍'],
    ['reactions', { '👍': ['not an identity'] }, 'items[0].item.reactions.👍[0]'],
    ['replyTo', 42, 'items[0].item.replyTo'],
    ['editedAt', 'yesterday', 'items[0].item.editedAt'],
    ['deleted', 'yes', 'items[0].item.deleted'],
    ['receipts', { audience: [BOB], delivered: 'all', read: [] }, 'items[0].item.receipts.delivered'],
  ])('refuses a malformed %s (%j)', (field, value, path) => {
    expect(() => readStoredItem(textItem({ [field]: value }), 'items[0]', ROOM)).toThrow(new BackupShapeError(path));
  });
});
