import { describe, expect, it } from 'vitest';
import { initialSessionState } from './initialState.js';
import { sessionReducer } from './reducer.js';

const alice = { displayName: 'Alice', identityId: 'm-alice', fingerprint: '1234' };

describe('sessionReducer', () => {
  it('boots into the stored identity state', () => {
    const s = sessionReducer(initialSessionState, { type: 'session/booted', state: 'locked', identity: null });
    expect(s.phase).toBe('locked');
  });

  it('tracks key generation progress while creating, and clears it once unlocked', () => {
    let s = sessionReducer(initialSessionState, { type: 'session/busy', busy: 'creating' });
    expect(s.progress).toEqual({ step: 'encryption-key', fraction: 0 });
    s = sessionReducer(s, { type: 'session/progress', step: 'signing-key', fraction: 0.5 });
    expect(s.progress).toEqual({ step: 'signing-key', fraction: 0.5 });
    s = sessionReducer(s, { type: 'session/progress', step: 'done', fraction: 7 });
    expect(s.progress?.fraction).toBe(1);
    s = sessionReducer(s, { type: 'identity', state: 'unlocked', identity: alice });
    expect(s).toMatchObject({ phase: 'unlocked', identity: alice, progress: null });
  });

  it('forgets the identity in memory on lock', () => {
    let s = sessionReducer(initialSessionState, { type: 'identity', state: 'unlocked', identity: alice });
    s = sessionReducer(s, { type: 'identity', state: 'locked', identity: null });
    expect(s).toMatchObject({ phase: 'locked', identity: null });
  });

  it('keeps an error until the next attempt starts', () => {
    let s = sessionReducer(initialSessionState, { type: 'session/error', error: { code: 'WRONG_PASSWORD', message: 'x' } });
    s = sessionReducer(s, { type: 'session/busy', busy: null });
    expect(s.error?.code).toBe('WRONG_PASSWORD');
    s = sessionReducer(s, { type: 'session/busy', busy: 'unlocking' });
    expect(s.error).toBeNull();
  });
});
