import { describe, expect, it } from 'vitest';
import { dayKey, dayLabel, formatBytes, formatDuration } from './format.js';

describe('formatBytes', () => {
  it('names small sizes in bytes', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(1023)).toBe('1023 bytes');
  });
  it('uses one decimal below ten units and none above', () => {
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(12 * 1024 * 1024)).toBe('12 MB');
    expect(formatBytes(100 * 1024 * 1024 * 1024)).toBe('100 GB');
  });
  it('refuses nonsense', () => {
    expect(formatBytes(-1)).toBe('?');
    expect(formatBytes(Number.NaN)).toBe('?');
  });
});

describe('days', () => {
  const now = new Date(2026, 10, 23, 15, 0).getTime();
  it('keys by local calendar day', () => {
    expect(dayKey(new Date(2026, 10, 23, 0, 1).getTime())).toBe('2026-11-23');
    expect(dayKey(new Date(2026, 10, 22, 23, 59).getTime())).toBe('2026-11-22');
  });
  it('labels today and yesterday in words', () => {
    expect(dayLabel(new Date(2026, 10, 23, 8, 0).getTime(), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 10, 22, 8, 0).getTime(), now)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 10, 20, 8, 0).getTime(), now, 'en-GB')).toContain('2026');
  });
});

describe('formatDuration', () => {
  it('picks the largest fitting unit', () => {
    expect(formatDuration(30)).toBe('30 seconds');
    expect(formatDuration(300)).toBe('5 minutes');
    expect(formatDuration(3600)).toBe('1 hour');
    expect(formatDuration(7 * 86_400)).toBe('7 days');
  });
});
