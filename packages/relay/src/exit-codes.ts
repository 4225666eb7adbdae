/**
 * How `sealroom-relay` exits, so a supervisor can tell a mistake in its configuration (do
 * not restart: it will fail the same way) from a start-up that may succeed later (restart
 * after a pause). `--help` and the README print this table.
 */
export const ExitCode = {
  /** Stopped on SIGTERM or SIGINT after closing its connections; or --help, --version. */
  OK: 0,
  /** Failed while running: an unexpected error, or a shutdown that did not complete. */
  FAILURE: 1,
  /** The command line or the environment is wrong: unknown flag, bad value, unreadable TLS file. */
  USAGE: 2,
  /** Could not start: the address is taken or not allowed, or the store is unreachable. */
  CANNOT_START: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES: readonly { readonly code: ExitCode; readonly meaning: string }[] = [
  { code: ExitCode.OK, meaning: 'Stopped on SIGTERM or SIGINT after closing its connections (or printed --help or --version).' },
  { code: ExitCode.FAILURE, meaning: 'Failed while running: an unexpected error, or a shutdown that did not complete.' },
  {
    code: ExitCode.USAGE,
    meaning:
      'Usage error: an unknown flag, a bad value in a flag or its variable, or a TLS file that cannot be read. Fix the configuration; restarting will not help.',
  },
  {
    code: ExitCode.CANNOT_START,
    meaning: 'Could not start: the address is in use or not allowed, or the store (Redis) is unreachable. May succeed if retried later.',
  },
];
