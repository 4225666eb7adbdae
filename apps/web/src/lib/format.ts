// Display formatting for sizes, times and day separators. Pure functions, so the
// message list and the tests agree on every label.
import { DAY_MS, DAY_S, HOUR_S, KIB, MINUTE_S } from '@sealroom/units';

const SIZE_UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'] as const;

/** "0 bytes", "999 bytes", "1.5 KB", "12 MB": one decimal below ten units, none above. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < KIB) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  let unit = 0;
  while (value >= KIB && unit < SIZE_UNITS.length - 1) {
    value /= KIB;
    unit += 1;
  }
  const digits = value < 10 ? 1 : 0;
  return `${value.toFixed(digits)} ${SIZE_UNITS[unit]}`;
}

/** A local calendar day, as a sortable key: "2026-11-23". */
export function dayKey(timestampMs: number): string {
  const d = new Date(timestampMs);
  const month = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${d.getFullYear()}-${month}-${day}`;
}

/** "Today", "Yesterday", or a date such as "Monday, 23 November 2026". */
export function dayLabel(timestampMs: number, nowMs: number, locale?: string): string {
  const key = dayKey(timestampMs);
  if (key === dayKey(nowMs)) return 'Today';
  if (key === dayKey(nowMs - DAY_MS)) return 'Yesterday';
  return new Date(timestampMs).toLocaleDateString(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
}

/** Hours and minutes in the user's locale: "14:05" or "2:05 PM". */
export function formatTime(timestampMs: number, locale?: string): string {
  return new Date(timestampMs).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

/** "30 seconds", "5 minutes", "1 hour", "7 days". */
export function formatDuration(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (seconds < MINUTE_S) return plural(seconds, 'second');
  if (seconds < HOUR_S) return plural(Math.round(seconds / MINUTE_S), 'minute');
  if (seconds < DAY_S) return plural(Math.round(seconds / HOUR_S), 'hour');
  return plural(Math.round(seconds / DAY_S), 'day');
}
