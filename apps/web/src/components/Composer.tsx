import type { MemberInfo, RoomId } from '@sealroom/client';
import { type KeyboardEvent, useId, useMemo, useRef, useState } from 'react';
import { COMPOSER_INPUT_ID } from '../lib/composer-focus.js';
import { mentionQueryAt } from '../lib/text.js';
import { Icon } from './Icon.js';
import { sendFile } from '../store/actions/files.js';
import { sendText, setDirectTarget } from '../store/actions/messages.js';
import { mentionCandidates } from '../store/slices/members/selectors.js';
import { selectDirectTargets } from '../store/slices/ui/selectors.js';
import { useAppStore } from '../store/store.js';

interface Props {
  roomId: RoomId;
  members: readonly MemberInfo[];
  disabled: boolean;
}

export function Composer({ roomId, members, disabled }: Props) {
  const [text, setText] = useState('');
  const [caret, setCaret] = useState(0);
  const [highlight, setHighlight] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const listId = useId();
  const directTo = useAppStore(selectDirectTargets)[roomId] ?? null;
  const others = useMemo(() => members.filter((m) => !m.isMe), [members]);
  const target = others.find((m) => m.id === directTo) ?? null;

  const query = mentionQueryAt(text, caret);
  const candidates = query && dismissed !== query.start ? mentionCandidates(members, query.query) : [];
  const open = candidates.length > 0;
  const active = open ? Math.min(highlight, candidates.length - 1) : -1;

  const pick = (member: MemberInfo) => {
    if (!query) return;
    const before = text.slice(0, query.start);
    const after = text.slice(caret);
    const inserted = `@${member.displayName} `;
    const next = `${before}${inserted}${after}`;
    const position = before.length + inserted.length;
    setText(next);
    setCaret(position);
    setHighlight(0);
    requestAnimationFrame(() => {
      inputRef.current?.focus();
      inputRef.current?.setSelectionRange(position, position);
    });
  };

  const submit = () => {
    const body = text.trim();
    if (body.length === 0 || disabled) return;
    setText('');
    setCaret(0);
    void sendText(roomId, body);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (open) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const step = e.key === 'ArrowDown' ? 1 : -1;
        setHighlight((active + step + candidates.length) % candidates.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        const chosen = candidates[active];
        if (chosen) {
          e.preventDefault();
          pick(chosen);
          return;
        }
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setDismissed(query?.start ?? null);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  return (
    <div className={`composer${target ? ' private' : ''}`}>
      {open && (
        <ul className="autocomplete" role="listbox" id={listId} aria-label="Mention a member">
          {candidates.map((m, i) => (
            <li
              key={m.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(m);
              }}
            >
              @{m.displayName}
            </li>
          ))}
        </ul>
      )}
      <div className="composer-options">
        <label htmlFor={`${listId}-to`}>To</label>
        <select
          id={`${listId}-to`}
          className="input"
          value={directTo ?? ''}
          onChange={(e) => setDirectTarget(roomId, e.target.value || null)}
          disabled={disabled}
          data-testid="direct-target"
        >
          <option value="">Everyone in the room</option>
          {others.map((m) => (
            <option key={m.id} value={m.id}>
              {m.displayName} only (private)
            </option>
          ))}
        </select>
        {target && (
          <span className="private-tag" role="status">
            <Icon name="lock" size={14} /> Only {target.displayName} will be able to read this.
          </span>
        )}
      </div>
      <form
        className="composer-row"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <input
          ref={fileRef}
          type="file"
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          data-testid="file-input"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void sendFile(roomId, file);
            e.target.value = '';
          }}
        />
        <button
          type="button"
          className="button icon-button"
          onClick={() => fileRef.current?.click()}
          disabled={disabled}
          aria-label="Send a file"
          title="Send a file (or drop it here)"
        >
          <Icon name="paperclip" />
        </button>
        <label htmlFor={COMPOSER_INPUT_ID} className="visually-hidden">
          {target ? `Private message to ${target.displayName}` : 'Message'}
        </label>
        <textarea
          ref={inputRef}
          id={COMPOSER_INPUT_ID}
          className="input"
          rows={1}
          value={text}
          placeholder={disabled ? 'You can no longer send in this room' : target ? `Private message to ${target.displayName}` : 'Write a message…'}
          onChange={(e) => {
            setText(e.target.value);
            setCaret(e.target.selectionStart);
            setDismissed(null);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onKeyDown={onKeyDown}
          disabled={disabled}
          role="combobox"
          aria-expanded={open}
          aria-controls={open ? listId : undefined}
          aria-autocomplete="list"
          aria-activedescendant={open && active >= 0 ? `${listId}-${active}` : undefined}
          data-testid="composer"
        />
        <button type="submit" className="button primary" disabled={disabled || text.trim().length === 0}>
          Send
        </button>
      </form>
    </div>
  );
}
