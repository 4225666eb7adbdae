import { describe, expect, it } from 'vitest';
import { SearchIndex, foldText, highlightsOf, queryTerms, type SearchDocument } from '../src/search.js';

function doc(id: string, text: string, sentAt: number, roomId = 'room-a'): SearchDocument {
  return { roomId, id, text, sender: 'alice-id', senderName: 'Alice', sentAt };
}

const mark = (text: string, ranges: readonly (readonly [number, number])[]) => {
  let out = '';
  let at = 0;
  for (const [start, end] of ranges) {
    out += `${text.slice(at, start)}[${text.slice(start, end)}]`;
    at = end;
  }
  return out + text.slice(at);
};

describe('folding', () => {
  it('drops case and accents, composed or decomposed', () => {
    expect(foldText('Crème BRÛLÉE')).toBe('creme brulee');
    expect(foldText('Cafe\u0301')).toBe('cafe');
    expect(foldText('ÅNGSTRÖM Ça')).toBe('angstrom ca');
  });

  it('splits a query into distinct folded terms, longest first', () => {
    expect(queryTerms('  Ré  re RÉSUMÉ ')).toEqual(['resume', 're']);
    expect(queryTerms('   ')).toEqual([]);
  });
});

describe('highlights', () => {
  it('maps matches back to the original text, accents included', () => {
    const text = 'Le café est Cafe\u0301 ici, CAFÉ!';
    expect(mark(text, highlightsOf(text, ['cafe']))).toBe('Le [café] est [Cafe\u0301] ici, [CAFÉ]!');
  });

  it('merges overlapping terms', () => {
    const text = 'password reset';
    expect(mark(text, highlightsOf(text, ['password', 'pass', 'word r']))).toBe('[password r]eset');
  });

  it('keeps surrogate pairs whole', () => {
    const text = '🔐 Secret 🔐 secrets';
    expect(mark(text, highlightsOf(text, ['secret']))).toBe('🔐 [Secret] 🔐 [secret]s');
  });
});

describe('SearchIndex', () => {
  const build = () => {
    const index = new SearchIndex();
    index.add(doc('1', 'The deploy key is in the vault', 1_000));
    index.add(doc('2', 'Déploiement à 18h', 2_000));
    index.add(doc('3', 'deploy again tomorrow', 3_000, 'room-b'));
    index.add(doc('4', 'unrelated', 4_000, 'room-b'));
    return index;
  };

  it('finds every term in any order, newest first, across rooms', () => {
    const result = build().search('DEPLOY');
    expect(result.hits.map((hit) => hit.document.id)).toEqual(['3', '1']);
    expect(result.total).toBe(2);
    expect(
      build()
        .search('VAULT the KEY')
        .hits.map((hit) => hit.document.id),
    ).toEqual(['1']);
    expect(
      build()
        .search('deploiement')
        .hits.map((hit) => hit.document.id),
    ).toEqual(['2']);
  });

  it('limits to one room and to a count, still counting every match', () => {
    expect(
      build()
        .search('deploy', { roomId: 'room-a' })
        .hits.map((hit) => hit.document.id),
    ).toEqual(['1']);
    const limited = build().search('e', { limit: 1 });
    expect(limited.hits.map((hit) => hit.document.id)).toEqual(['4']);
    expect(limited.total).toBe(4);
  });

  it('replaces an edited message, forgets a removed one, and clears', () => {
    const index = build();
    index.add(doc('1', 'nothing to see', 1_000));
    expect(index.search('vault').total).toBe(0);
    index.remove('room-b', '3');
    expect(index.search('deploy').total).toBe(0);
    expect(index.size).toBe(3);
    index.clear();
    expect(index.size).toBe(0);
    expect(index.search('nothing').total).toBe(0);
  });

  it('returns nothing for an empty query', () => {
    expect(build().search('  ')).toEqual({ hits: [], total: 0 });
  });
});
