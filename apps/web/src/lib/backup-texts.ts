import type { BackupProgress } from '@sealroom/client';

/** What a backup export or import is doing, in words, above its progress bar. */
export const BACKUP_STEP_TEXT: Record<BackupProgress['step'], string> = {
  collecting: 'Reading your rooms',
  sealing: 'Sealing the backup',
  opening: 'Checking the backup',
  restoring: 'Restoring your rooms',
};

/** "Sealing the backup (3 of 40)", or the step alone while its size is unknown. */
export function backupProgressText(progress: BackupProgress): string {
  const text = BACKUP_STEP_TEXT[progress.step];
  return progress.total > 1 ? `${text} (${progress.done} of ${progress.total})` : text;
}
