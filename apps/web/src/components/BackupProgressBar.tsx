import type { BackupProgress } from '@sealroom/client';
import { backupProgressText } from '../lib/backup-texts.js';

/** A progress bar with its step in words, while a backup is being made or restored. */
export function BackupProgressBar({ progress, testId }: { progress: BackupProgress | null; testId: string }) {
  if (!progress) return null;
  return (
    <div className="progress-block" role="status" aria-live="polite" data-testid={testId}>
      <span className="label">{backupProgressText(progress)}</span>
      <progress className="backup-progress" max={Math.max(1, progress.total)} value={progress.done} />
    </div>
  );
}
