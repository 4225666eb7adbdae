import { memo } from 'react';
import { segmentText } from '../lib/text.js';

interface Props {
  text: string;
  names: readonly string[];
  myName: string | null;
}

/** Untrusted text as React text nodes: never HTML. Only http(s) links become anchors. */
export const MessageText = memo(function MessageText({ text, names, myName }: Props) {
  const segments = segmentText(text, names, myName);
  return (
    <>
      {segments.map((s, i) => {
        if (s.kind === 'link')
          return (
            <a key={i} href={s.href} target="_blank" rel="noopener noreferrer">
              {s.text}
            </a>
          );
        if (s.kind === 'mention')
          return (
            <mark key={i} className="mention" data-me={s.me ? 'true' : undefined}>
              {s.text}
            </mark>
          );
        return <span key={i}>{s.text}</span>;
      })}
    </>
  );
});
