import { describe, expect, it } from 'vitest';
import { initialAppState, rootReducer } from './state.js';

describe('rootReducer', () => {
  it('returns the same object when no slice cares about an event', () => {
    expect(rootReducer(initialAppState, { type: 'ui/toast-dismiss', id: 'nothing' })).toBe(initialAppState);
  });

  it('keeps untouched slices identical so selectors do not re-render', () => {
    const next = rootReducer(initialAppState, { type: 'ui/view', view: 'room' });
    expect(next.ui.view).toBe('room');
    expect(next.timeline).toBe(initialAppState.timeline);
    expect(next.session).toBe(initialAppState.session);
  });

  it('never holds a password or key material', () => {
    let s = rootReducer(initialAppState, { type: 'session/busy', busy: 'creating' });
    s = rootReducer(s, { type: 'identity', state: 'unlocked', identity: { displayName: 'A', identityId: 'm', fingerprint: 'f' } });
    expect(JSON.stringify(s)).not.toMatch(/password|privateKey|secret/iu);
  });
});
