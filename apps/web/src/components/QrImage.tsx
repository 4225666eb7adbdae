import { useEffect, useState } from 'react';
import { qrDataUrl } from '../lib/qr.js';

export function QrImage({ text, label }: { text: string; label: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    void qrDataUrl(text).then((u) => {
      if (!cancelled) setUrl(u);
    });
    return () => {
      cancelled = true;
    };
  }, [text]);
  // A fixed-size box either way, so nothing jumps when the image arrives.
  return url ? (
    <img className="qr" src={url} alt={label} width="192" height="192" data-testid="qr" />
  ) : (
    <div className="qr" role="img" aria-label={`${label} (loading)`} />
  );
}
