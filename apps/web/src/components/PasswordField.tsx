import { useEffect, useId, useState } from 'react';
import { charactersNeededText } from '../lib/identity-texts.js';
import { loadStrengthChecker, MIN_PASSWORD_LENGTH, SCORE_LABELS, type RatedPassword, type Strength } from '../lib/strength.js';

interface Props {
  label: string;
  value: string;
  onChange(value: string): void;
  /** Show the strength meter and the policy (new passwords only). */
  withStrength?: boolean;
  /** Reports the strength of a given password once estimated (asynchronously). */
  onStrength?(result: RatedPassword): void;
  /** Words the password should not be built from, e.g. the display name. */
  userInputs?: string[];
  autoComplete: 'new-password' | 'current-password';
  error?: string | null;
  autoFocus?: boolean;
  name?: string;
}

export function PasswordField({ label, value, onChange, withStrength = false, onStrength, userInputs, autoComplete, error, autoFocus, name }: Props) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const [visible, setVisible] = useState(false);
  const [rated, setRated] = useState<{ password: string; strength: Strength } | null>(null);
  // A rating for an earlier value is no rating at all.
  const strength = rated && rated.password === value && value.length > 0 ? rated.strength : null;
  const inputsKey = (userInputs ?? []).join('\u0000');

  useEffect(() => {
    if (!withStrength) return;
    let cancelled = false;
    if (value.length === 0) return;
    void loadStrengthChecker().then((check) => {
      if (cancelled) return;
      const result = { password: value, strength: check(value, inputsKey ? inputsKey.split('\u0000') : []) };
      setRated(result);
      onStrength?.(result);
    });
    return () => {
      cancelled = true;
    };
  }, [value, withStrength, inputsKey, onStrength]);

  const describedBy = [withStrength ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="row">
        <input
          id={id}
          name={name}
          className="input"
          type={visible ? 'text' : 'password'}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          autoComplete={autoComplete}
          aria-describedby={describedBy}
          aria-invalid={error ? true : undefined}
          autoFocus={autoFocus}
          spellCheck={false}
          required
        />
      </div>
      <label className="hint row">
        <input type="checkbox" checked={visible} onChange={(e) => setVisible(e.target.checked)} /> Show password
      </label>
      {withStrength && (
        <div id={hintId}>
          <div className="meter" data-score={strength?.score ?? 'none'} aria-hidden="true">
            <span />
            <span />
            <span />
            <span />
          </div>
          <p className="hint" aria-live="polite">
            {value.length === 0
              ? `At least ${MIN_PASSWORD_LENGTH} characters, and hard to guess. A few unrelated words work well.`
              : value.length < MIN_PASSWORD_LENGTH
                ? charactersNeededText(MIN_PASSWORD_LENGTH - value.length)
                : strength
                  ? `Strength: ${SCORE_LABELS[strength.score]}.${strength.warning ? ` ${strength.warning}` : ''}${
                      strength.score < 2 && strength.suggestions[0] ? ` ${strength.suggestions[0]}` : ''
                    }`
                  : 'Checking strength…'}
          </p>
        </div>
      )}
      {error && (
        <p id={errorId} className="error-text" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
