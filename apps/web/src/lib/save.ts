// Where a received file goes. Small files collect in memory and download through a Blob
// URL; large ones stream straight to disk through the File System Access API where the
// browser has it, so a 100 MB file never sits in one buffer.
import { MIB } from '@sealroom/units';

/** Above this size, and when the browser allows it, we ask where to save before receiving. */
export const STREAM_TO_DISK_THRESHOLD_BYTES = 64 * MIB;

interface SaveFilePickerWindow {
  showSaveFilePicker?: (options: { suggestedName?: string }) => Promise<{
    createWritable(): Promise<WritableStream<Uint8Array>>;
  }>;
}

export interface FileSink {
  stream: WritableStream<Uint8Array>;
  /** After the client resolved: a Blob URL for in-memory files, null for disk. */
  finish(): string | null;
  savedTo: 'download' | 'disk';
}

/** Collects chunks in memory; `finish` builds the Blob and its URL. */
export function memorySink(mimeType: string): FileSink {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      // Copy: the writer may reuse its buffer for the next chunk.
      chunks.push(new Uint8Array(chunk));
    },
    abort() {
      chunks.length = 0;
    },
  });
  return {
    stream,
    savedTo: 'download',
    finish: () => URL.createObjectURL(new Blob(chunks, { type: mimeType || 'application/octet-stream' })),
  };
}

/** Must run inside the click handler: the picker needs a user gesture. */
export async function diskSinkIfLarge(name: string, size: number): Promise<FileSink | null> {
  const picker = (window as unknown as SaveFilePickerWindow).showSaveFilePicker;
  if (size < STREAM_TO_DISK_THRESHOLD_BYTES || typeof picker !== 'function') return null;
  const handle = await picker.call(window, { suggestedName: name });
  const stream = await handle.createWritable();
  return { stream, savedTo: 'disk', finish: () => null };
}

/** Starts a browser download of a Blob URL under a given name. */
export function triggerDownload(url: string, name: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
}
