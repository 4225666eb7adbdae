// The search section runs end to end on a small corpus and reports its figures; no figure
// is asserted against a speed.
import { describe, expect, it } from 'vitest';
import { SearchIndex } from '@sealroom/client';
import type { BenchContext } from '../src/context.js';
import { QUICK } from '../src/profile.js';
import { runSearch, syntheticCorpus } from '../src/sections/search.js';

const context: BenchContext = {
  profile: QUICK,
  relay: { available: false, reason: 'not needed', benchArgs: [], defaultArgs: [], missingFlags: [] },
  log: () => {},
};

describe('search section', () => {
  it('builds the same corpus every run, with the rare word once', () => {
    const a = syntheticCorpus(300);
    expect(syntheticCorpus(300)).toEqual(a);
    const index = new SearchIndex();
    a.forEach((d) => index.add(d));
    expect(index.search('needle').total).toBe(1);
    expect(index.search('zzzz').total).toBe(0);
  });

  it('reports build and query figures', async () => {
    const result = await runSearch(context, { messages: 300 });
    expect(result.status).toBe('ok');
    expect(result.tables.map((t) => t.title)).toEqual(['Search: index build over 300 messages', 'Search: queries over 300 messages']);
    expect(result.tables[1]!.rows).toHaveLength(7);
    expect(result.verdicts.map((v) => v.key)).toEqual(['search.buildMs', 'search.slowestQueryMs']);
    for (const verdict of result.verdicts) expect(Number.isFinite(verdict.numeric)).toBe(true);
  });
});
