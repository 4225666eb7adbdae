import type { LogLevel } from './options.js';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

type LogFields = Record<string, string | number | boolean | undefined>;

/**
 * Structured JSON lines. Callers pass only counts, codes, addresses and sizes: never
 * envelope bytes, admission keys, nonces, MACs or URLs (a URL may carry a fragment).
 */
export interface Logger {
  enabled(level: LogLevel): boolean;
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export function createLogger(level: LogLevel, sink: (line: string) => void): Logger {
  const threshold = LEVEL_RANK[level];
  const write = (lvl: Exclude<LogLevel, 'silent'>, event: string, fields?: LogFields): void => {
    if (LEVEL_RANK[lvl] < threshold) return;
    sink(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, event, ...fields })}\n`);
  };
  return {
    enabled: (lvl) => LEVEL_RANK[lvl] >= threshold,
    debug: (event, fields) => write('debug', event, fields),
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
  };
}

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(LEVEL_RANK, value);
}

/** The message of a caught value, for a log field (never its stack or its data). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
