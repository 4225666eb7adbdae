import { describe, expect, it } from 'vitest';
import { initialWarningsState } from './initialState.js';
import { warningsReducer } from './reducer.js';
import { alertsForRoom } from './selectors.js';

const keyChanged = { kind: 'key-changed' as const, roomId: 'r', member: 'm-bob', code: 'KEY_CHANGED' as const, detail: 'Bob has a new key' };

describe('warningsReducer', () => {
  it('keeps trust alerts until acknowledged, once per member', () => {
    let s = warningsReducer(initialWarningsState, { type: 'warnings/received', id: 'w1', at: 1, warning: keyChanged });
    s = warningsReducer(s, { type: 'warnings/received', id: 'w2', at: 2, warning: keyChanged });
    expect(s.alerts.map((a) => a.id)).toEqual(['w1']);
    s = warningsReducer(s, { type: 'warnings/acknowledge', id: 'w1' });
    expect(s.alerts).toEqual([]);
  });

  it('ignores warnings that belong in the timeline', () => {
    const s = warningsReducer(initialWarningsState, {
      type: 'warnings/received',
      id: 'w1',
      at: 1,
      warning: { kind: 'bad-message', roomId: 'r', member: null, code: 'BAD_TAG', detail: '' },
    });
    expect(s.alerts).toEqual([]);
  });

  it('filters alerts by room', () => {
    const s = warningsReducer(initialWarningsState, { type: 'warnings/received', id: 'w1', at: 1, warning: keyChanged });
    expect(alertsForRoom(s.alerts, 'r')).toHaveLength(1);
    expect(alertsForRoom(s.alerts, 'other')).toHaveLength(0);
  });
});
