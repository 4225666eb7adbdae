import { describe, expect, it } from 'vitest';
import { initialUiState } from './initialState.js';
import { uiReducer } from './reducer.js';

describe('uiReducer', () => {
  it('shows the room on phone width when one is selected', () => {
    expect(uiReducer(initialUiState, { type: 'rooms/select', roomId: 'r' }).view).toBe('room');
    expect(uiReducer(initialUiState, { type: 'rooms/select', roomId: null }).view).toBe('list');
  });

  it('opens the member panel in place of the room on phone width, and back', () => {
    let s = uiReducer({ ...initialUiState, view: 'room' }, { type: 'ui/members-open', open: true });
    expect(s).toMatchObject({ membersOpen: true, view: 'members' });
    s = uiReducer(s, { type: 'ui/members-open', open: false });
    expect(s).toMatchObject({ membersOpen: false, view: 'room' });
  });

  it('drops the private-message target when that member leaves', () => {
    let s = uiReducer(initialUiState, { type: 'ui/direct-target', roomId: 'r', member: 'b' });
    expect(s.directTarget).toEqual({ r: 'b' });
    const bob = {
      id: 'b',
      displayName: 'Bob',
      fingerprint: '',
      isMe: false,
      isCreator: false,
      role: 'member' as const,
      nameClash: false,
      mixedScript: false,
      verified: false,
      online: false,
      joinedAt: 0,
    };
    s = uiReducer(s, { type: 'member-left', roomId: 'r', member: bob });
    expect(s.directTarget).toEqual({});
  });

  it('keeps at most three toasts', () => {
    let s = initialUiState;
    for (const id of ['1', '2', '3', '4']) s = uiReducer(s, { type: 'ui/toast', id, text: id, tone: 'info' });
    expect(s.toasts.map((t) => t.id)).toEqual(['2', '3', '4']);
  });

  it('closes panels on lock and keeps a pending invite', () => {
    let s = uiReducer(initialUiState, { type: 'ui/pending-invite', invite: 'https://x/#i' });
    s = uiReducer(s, { type: 'ui/panel', panel: { kind: 'account' } });
    s = uiReducer(s, { type: 'identity', state: 'locked', identity: null });
    expect(s).toMatchObject({ panel: null, pendingInvite: 'https://x/#i' });
  });
});
