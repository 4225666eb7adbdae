import { describe, expect, it } from 'vitest';
import { initialConnectionState } from './initialState.js';
import { connectionReducer } from './reducer.js';
import { overallConnection } from './selectors.js';

describe('connection', () => {
  it('reports the worst relay state', () => {
    let s = connectionReducer(initialConnectionState, { type: 'connection', relayUrl: 'a', state: 'open', retryInMs: null });
    expect(overallConnection(s.byRelay)).toBe('online');
    s = connectionReducer(s, { type: 'connection', relayUrl: 'b', state: 'connecting', retryInMs: null });
    expect(overallConnection(s.byRelay)).toBe('connecting');
    s = connectionReducer(s, { type: 'connection', relayUrl: 'b', state: 'reconnecting', retryInMs: 1000 });
    expect(overallConnection(s.byRelay)).toBe('offline');
    s = connectionReducer(s, { type: 'connection', relayUrl: 'b', state: 'open', retryInMs: null });
    expect(overallConnection(s.byRelay)).toBe('online');
  });

  it('is idle with no relay and forgets relays on lock', () => {
    expect(overallConnection({})).toBe('idle');
    let s = connectionReducer(initialConnectionState, { type: 'connection', relayUrl: 'a', state: 'open', retryInMs: null });
    s = connectionReducer(s, { type: 'identity', state: 'locked', identity: null });
    expect(s.byRelay).toEqual({});
  });
});
