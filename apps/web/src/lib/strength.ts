// Password strength from zxcvbn-ts, a maintained estimator (not a home-made score).
// Its dictionaries are large, so they load on demand in their own chunk.

/** The policy shown under the password field. */
export const MIN_PASSWORD_LENGTH = 10;
/** zxcvbn's score runs 0–4; 2 ("fair") resists online and slowed offline guessing. */
export const MIN_PASSWORD_SCORE = 2;

export const SCORE_LABELS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;

export interface Strength {
  score: 0 | 1 | 2 | 3 | 4;
  warning: string | null;
  suggestions: string[];
}

export interface RatedPassword {
  password: string;
  strength: Strength;
}

type Checker = (password: string, userInputs: string[]) => Strength;

let loading: Promise<Checker> | null = null;

export function loadStrengthChecker(): Promise<Checker> {
  loading ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    const factory = new ZxcvbnFactory({
      translations: en.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...en.dictionary },
    });
    return (password, userInputs) => {
      const result = factory.check(password, userInputs);
      return { score: result.score, warning: result.feedback.warning, suggestions: result.feedback.suggestions };
    };
  })();
  return loading;
}

/** Whether a password meets the minimum: long enough and not easily guessed. */
export function meetsPolicy(password: string, rated: RatedPassword | null): boolean {
  return password.length >= MIN_PASSWORD_LENGTH && rated !== null && rated.password === password && rated.strength.score >= MIN_PASSWORD_SCORE;
}
