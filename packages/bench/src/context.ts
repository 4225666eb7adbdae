// What every section receives from the harness.
import type { Profile } from './profile.js';

export interface RelayAvailability {
  available: boolean;
  /** Why the relay cannot be measured, when it cannot. */
  reason?: string;
  /** CLI flags that lift the relay's abuse limits for a load test on loopback. */
  benchArgs: string[];
  /** CLI flags for the relay as shipped: every limit at its default, only quieter logs. */
  defaultArgs: string[];
  /** Flags the relay does not offer yet that the benchmark wanted, for the report. */
  missingFlags: string[];
}

export interface BenchContext {
  profile: Profile;
  relay: RelayAvailability;
  /** Record a CPU profile of the page during the browser catch-up (`--profile-browser`); written beside the JSON report. */
  profileBrowser?: { outDir: string };
  /** Run the fan-out relay under `node --cpu-prof` (`--profile-relay`); the profile is written there. */
  profileRelay?: { outDir: string };
  /** A second relay entry point measured beside the workspace's in the fan-out (`--compare-relay PATH`), to try a change before making it. */
  relayCandidate?: string;
  /** Progress lines, to stderr, so stdout stays the Markdown report. */
  log(line: string): void;
}
