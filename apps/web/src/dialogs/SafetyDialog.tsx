import type { MemberInfo, SafetyNumber } from '@sealroom/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Dialog } from '../components/Dialog.js';
import { QrImage } from '../components/QrImage.js';
import { compareSafety, groupDigits } from '../lib/safety.js';
import { neutraliseBidi } from '../lib/text.js';
import { markVerified, safetyNumber } from '../store/actions/trust.js';
import { dispatch } from '../store/store.js';

export default function SafetyDialog({ roomId, member }: { roomId: string; member: MemberInfo }) {
  const [safety, setSafety] = useState<SafetyNumber | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [theirs, setTheirs] = useState('');
  const [scanning, setScanning] = useState(false);
  const name = neutraliseBidi(member.displayName);
  const close = () => dispatch({ type: 'ui/panel', panel: null });
  const onScan = useCallback((text: string) => {
    setTheirs(text);
    setScanning(false);
  }, []);

  useEffect(() => {
    let cancelled = false;
    void safetyNumber(roomId, member.id).then((outcome) => {
      if (cancelled) return;
      if (outcome.ok) setSafety(outcome.value);
      else setError(outcome.error.message);
    });
    return () => {
      cancelled = true;
    };
  }, [roomId, member.id]);

  const comparison = safety ? compareSafety(safety, theirs) : 'empty';

  return (
    <Dialog title={`Safety number with ${name}`} onClose={close} testId="safety-dialog">
      <p>
        Compare these digits with what {name} sees, in person or over a call you trust. If they match, nobody is in the
        middle, and you can mark {name} as verified.
      </p>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {safety ? (
        <>
          <div className="safety-digits" data-testid="safety-digits" aria-label="Safety number">
            {groupDigits(safety.digits).map((g, i) => (
              <span key={i}>{g}</span>
            ))}
          </div>
          <QrImage text={safety.qrPayload} label={`QR code of your safety number with ${name}`} />
        </>
      ) : (
        !error && <p className="hint">Working it out…</p>
      )}
      <div className="field">
        <label htmlFor="their-safety">Paste or scan {name}'s code to compare</label>
        <textarea
          id="their-safety"
          className="input mono"
          rows={2}
          value={theirs}
          onChange={(e) => setTheirs(e.target.value)}
          spellCheck={false}
          data-testid="their-safety"
        />
      </div>
      {'BarcodeDetector' in window && safety && (
        <div className="row">
          <button type="button" className="button small" onClick={() => setScanning((s) => !s)}>
            {scanning ? 'Stop scanning' : 'Scan their QR code'}
          </button>
        </div>
      )}
      {scanning && <Scanner onResult={onScan} />}
      <p role="status" aria-live="polite">
        {comparison === 'match' && (
          <span className="compare-result match" data-testid="safety-match">
            ✓ The numbers match.
          </span>
        )}
        {comparison === 'mismatch' && (
          <span className="compare-result mismatch" data-testid="safety-mismatch">
            ✕ These numbers do not match. Do not mark {name} as verified.
          </span>
        )}
        {comparison === 'incomplete' && <span className="hint">Keep going: a safety number has 60 digits.</span>}
      </p>
      <div className="dialog-actions">
        {member.verified ? (
          <>
            <span className="verified">✓ You verified {name}</span>
            <button type="button" className="button" onClick={() => void markVerified(roomId, member.id, false)}>
              Remove verification
            </button>
          </>
        ) : (
          <button
            type="button"
            className="button primary"
            disabled={!safety || comparison === 'mismatch'}
            onClick={() => void markVerified(roomId, member.id, true)}
          >
            Mark {name} as verified
          </button>
        )}
        <button type="button" className="button" onClick={close}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<DetectedBarcode[]>;
}
type BarcodeDetectorCtor = new (options: { formats: string[] }) => BarcodeDetectorLike;

/** How often to look for a QR code in the camera image, in ms. */
const SCAN_INTERVAL_MS = 250;

/** Camera scanning where the browser has `BarcodeDetector` (Chromium on Android, macOS). */
function Scanner({ onResult }: { onResult(text: string): void }) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    let stopped = false;
    (async () => {
      try {
        const Detector = (window as unknown as { BarcodeDetector: BarcodeDetectorCtor }).BarcodeDetector;
        const detector = new Detector({ formats: ['qr_code'] });
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
        if (stopped || !videoRef.current) return;
        videoRef.current.srcObject = stream;
        await videoRef.current.play();
        timer = setInterval(async () => {
          if (!videoRef.current) return;
          const found = await detector.detect(videoRef.current).catch(() => []);
          const value = found[0]?.rawValue;
          if (value) onResult(value);
        }, SCAN_INTERVAL_MS);
      } catch {
        setProblem('The camera is not available. Paste the digits instead.');
      }
    })();
    return () => {
      stopped = true;
      if (timer) clearInterval(timer);
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, [onResult]);
  return problem ? (
    <p className="error-text">{problem}</p>
  ) : (
    <video ref={videoRef} className="qr" muted playsInline aria-label="Camera view for scanning" />
  );
}
