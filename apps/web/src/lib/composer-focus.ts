/**
 * The composer's text field, found by id so that what happens outside the room view (a dialog
 * closing after a room was made) can hand focus to it instead of leaving it ten Tab presses away.
 */
export const COMPOSER_INPUT_ID = 'composer-input';

export function composerInput(): HTMLElement | null {
  return document.getElementById(COMPOSER_INPUT_ID);
}
