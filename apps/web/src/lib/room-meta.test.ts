import { describe, expect, it } from 'vitest';
import { roomMetaText } from './room-meta.js';

describe('roomMetaText', () => {
  it('counts members and who is online while connected', () => {
    expect(roomMetaText({ members: 3, online: 3, connection: 'open', disappearingMs: null })).toBe('3 members · 3 online');
    expect(roomMetaText({ members: 1, online: 1, connection: 'open', disappearingMs: 60_000 })).toBe('1 member · 1 online · messages disappear after 1 minute');
  });

  it('says the connection is down and claims nobody online while it is', () => {
    for (const connection of ['offline', 'reconnecting'] as const) {
      const text = roomMetaText({ members: 3, online: 3, connection, disappearingMs: null });
      expect(text).toBe('3 members · Offline — reconnecting…');
      expect(text).not.toMatch(/online/u);
    }
  });

  it('claims nobody online before the first connection either', () => {
    expect(roomMetaText({ members: 2, online: 1, connection: 'connecting', disappearingMs: null })).toBe('2 members');
    expect(roomMetaText({ members: 2, online: 1, connection: undefined, disappearingMs: null })).toBe('2 members');
  });
});
