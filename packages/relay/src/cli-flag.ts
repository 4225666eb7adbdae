/**
 * What a relay flag is (its name, environment twin, `--help` section, kind of value and how
 * it sets the options), and the sections of `--help`. Its own file so the flag tables
 * (cli-flags.ts, cli-limit-flags.ts) and the help printer share one definition.
 */
import type { RelayOptions } from './options.js';
import type { ValueKind } from './cli-values.js';

/**
 * The sections of `--help`, in this order. A section with no flag yet is left out of the
 * help; a new flag names its section here.
 */
export const FLAG_GROUPS = {
  network: 'Network and the web app',
  tls: 'TLS (HTTPS and WSS without a proxy)',
  limits: 'Limits (per connection and per address)',
  retention: 'Retention (what is kept for catch-up)',
  storage: 'Storage',
  'scale-out': 'Scale-out (several processes)',
  logging: 'Logging',
} as const;
export type FlagGroup = keyof typeof FLAG_GROUPS;

export interface Flag {
  readonly name: string;
  readonly env: string;
  readonly group: FlagGroup;
  readonly kind: ValueKind;
  /** The placeholder in `--help` (`--host <address>`); by default the kind's. */
  readonly value?: string;
  readonly help: string;
  readonly fallback?: string;
  /** Puts the value into the options. The TLS flags have none: main() reads those files. */
  readonly apply?: (options: RelayOptions, value: never) => void;
}
