// The suite, in the order it runs: CPU-only sections first, then the ones that load servers.
import type { BenchContext } from '../context.js';
import type { SectionResult } from '../report.js';
import { runCrypto } from './crypto.js';
import { runFanout } from './fanout.js';
import { runFiles } from './files.js';
import { runIdle } from './idle.js';
import { runScaleOut } from './scaleout.js';
import { runSearch } from './search.js';
import { runStorage } from './storage.js';
import { runWeb } from './web.js';

export interface Section {
  name: string;
  title: string;
  run(context: BenchContext): Promise<SectionResult>;
}

export const SECTIONS: Section[] = [
  { name: 'crypto', title: 'Client cryptography', run: runCrypto },
  { name: 'search', title: 'Search', run: (context) => runSearch(context) },
  { name: 'fanout', title: 'Relay fan-out', run: runFanout },
  { name: 'idle', title: 'Idle memory', run: runIdle },
  { name: 'files', title: 'File transfer', run: runFiles },
  { name: 'scaleOut', title: 'Scale-out over Redis', run: runScaleOut },
  { name: 'storage', title: 'Durable store', run: runStorage },
  { name: 'web', title: 'Browser', run: runWeb },
];
