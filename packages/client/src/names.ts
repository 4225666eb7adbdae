/**
 * When two display names read the same (PROTOCOL C.4, UTS #39). A name is compared by its
 * confusable skeleton: NFKC with case folded, then NFD, every character replaced by its
 * confusables.txt prototype (the `unhomoglyph` data, as matrix-js-sdk uses it), NFD again.
 * "Bоb" with a Cyrillic о, "ＢＯＢ" and "bob" all have the skeleton of "Bob".
 *
 * A name that mixes scripts (other than Common and Inherited, and the combinations UTS #39
 * allows: Han with Hiragana and Katakana, Han with Hangul, Han with Bopomofo) is flagged on
 * its own: it is how a look-alike is usually built.
 */

/** The confusables mapping, once loaded ({@link loadNameData}). */
let prototypes: ((text: string) => string) | undefined;

/**
 * Loads the confusables data (about 100 KB, 30 KB compressed). It is imported on demand so
 * that a web app's first screen does not carry it; the client awaits it before it opens any
 * room, which is the first time a name is compared.
 */
export async function loadNameData(): Promise<void> {
  prototypes ??= (await import('unhomoglyph')).default;
}

/** The confusable skeleton two names are compared by. Needs {@link loadNameData} first. */
export function nameSkeleton(name: string): string {
  if (prototypes === undefined) throw new Error('nameSkeleton before loadNameData');
  const folded = name.normalize('NFKC').toLowerCase().normalize('NFD');
  // A prototype may itself fold (an uppercase prototype of a lowercase look-alike).
  return prototypes(folded).normalize('NFD').toLowerCase();
}

/** Whether two names would be taken for one another. */
export function namesClash(a: string, b: string): boolean {
  return nameSkeleton(a) === nameSkeleton(b);
}

/**
 * ISO 15924 codes of the scripts of Unicode 15 (Script_Extensions values). Each is checked
 * once against the engine: a code it does not know is left out rather than failing.
 */
const SCRIPT_CODES = [
  'Adlm',
  'Aghb',
  'Ahom',
  'Arab',
  'Armi',
  'Armn',
  'Avst',
  'Bali',
  'Bamu',
  'Bass',
  'Batk',
  'Beng',
  'Bhks',
  'Bopo',
  'Brah',
  'Brai',
  'Bugi',
  'Buhd',
  'Cakm',
  'Cans',
  'Cari',
  'Cham',
  'Cher',
  'Chrs',
  'Copt',
  'Cpmn',
  'Cprt',
  'Cyrl',
  'Deva',
  'Diak',
  'Dogr',
  'Dsrt',
  'Dupl',
  'Egyp',
  'Elba',
  'Elym',
  'Ethi',
  'Geor',
  'Glag',
  'Gong',
  'Gonm',
  'Goth',
  'Gran',
  'Grek',
  'Gujr',
  'Guru',
  'Hang',
  'Hani',
  'Hano',
  'Hatr',
  'Hebr',
  'Hira',
  'Hluw',
  'Hmng',
  'Hmnp',
  'Hung',
  'Ital',
  'Java',
  'Kali',
  'Kana',
  'Kawi',
  'Khar',
  'Khmr',
  'Khoj',
  'Kits',
  'Knda',
  'Kthi',
  'Lana',
  'Laoo',
  'Latn',
  'Lepc',
  'Limb',
  'Lina',
  'Linb',
  'Lisu',
  'Lyci',
  'Lydi',
  'Mahj',
  'Maka',
  'Mand',
  'Mani',
  'Marc',
  'Medf',
  'Mend',
  'Merc',
  'Mero',
  'Mlym',
  'Modi',
  'Mong',
  'Mroo',
  'Mtei',
  'Mult',
  'Mymr',
  'Nagm',
  'Nand',
  'Narb',
  'Nbat',
  'Newa',
  'Nkoo',
  'Nshu',
  'Ogam',
  'Olck',
  'Orkh',
  'Orya',
  'Osge',
  'Osma',
  'Ougr',
  'Palm',
  'Pauc',
  'Perm',
  'Phag',
  'Phli',
  'Phlp',
  'Phnx',
  'Plrd',
  'Prti',
  'Rjng',
  'Rohg',
  'Runr',
  'Samr',
  'Sarb',
  'Saur',
  'Sgnw',
  'Shaw',
  'Shrd',
  'Sidd',
  'Sind',
  'Sinh',
  'Sogd',
  'Sogo',
  'Sora',
  'Soyo',
  'Sund',
  'Sylo',
  'Syrc',
  'Tagb',
  'Takr',
  'Tale',
  'Talu',
  'Taml',
  'Tang',
  'Tavt',
  'Telu',
  'Tfng',
  'Tglg',
  'Thaa',
  'Thai',
  'Tibt',
  'Tirh',
  'Tnsa',
  'Toto',
  'Ugar',
  'Vaii',
  'Vith',
  'Wara',
  'Wcho',
  'Xpeo',
  'Xsux',
  'Yezi',
  'Yiii',
  'Zanb',
];

/** UTS #39 §5.1 augmentation: a script also counts as the writing systems that combine it. */
const AUGMENTED: Record<string, readonly string[]> = {
  Hani: ['Hanb', 'Jpan', 'Kore'],
  Hira: ['Jpan'],
  Kana: ['Jpan'],
  Hang: ['Kore'],
  Bopo: ['Hanb'],
};

let scriptTests: [string, RegExp][] | undefined;
const COMMON_OR_INHERITED = /[\p{scx=Zyyy}\p{scx=Zinh}]/u;
/** Script sets by code point; names are short and their characters repeat. */
const setCache = new Map<number, readonly string[] | null>();

function tests(): [string, RegExp][] {
  if (scriptTests === undefined) {
    scriptTests = [];
    for (const code of SCRIPT_CODES) {
      try {
        scriptTests.push([code, new RegExp(`^\\p{scx=${code}}$`, 'u')]);
      } catch {
        // An engine with older Unicode data: this script cannot occur in its strings anyway.
      }
    }
  }
  return scriptTests;
}

/** The augmented script set of a character, or null for Common/Inherited (compatible with all). */
function scriptSet(char: string): readonly string[] | null {
  const point = char.codePointAt(0)!;
  const cached = setCache.get(point);
  if (cached !== undefined) return cached;
  let set: string[] | null = null;
  // Common and Inherited characters that belong to some scripts only (their Script_Extensions)
  // constrain like any other; those of every script do not.
  const scripts = tests()
    .filter(([, test]) => test.test(char))
    .map(([code]) => code);
  if (scripts.length > 0) set = [...new Set(scripts.flatMap((s) => [s, ...(AUGMENTED[s] ?? [])]))];
  else if (!COMMON_OR_INHERITED.test(char)) set = [];
  setCache.set(point, set);
  return set;
}

/** Whether a name mixes scripts (UTS #39 §5.1: its resolved script set is empty). */
export function isMixedScript(name: string): boolean {
  let resolved: Set<string> | null = null;
  for (const char of name.normalize('NFD')) {
    const set = scriptSet(char);
    if (set === null) continue;
    resolved = resolved === null ? new Set(set) : new Set(set.filter((s) => resolved!.has(s)));
    if (resolved.size === 0) return true;
  }
  return false;
}
