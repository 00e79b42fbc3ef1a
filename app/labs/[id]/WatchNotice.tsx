'use client';
/**
 * What the attendee sees of the instructor's watch (docs/protocol.md#watch): a notice while anyone
 * watches their terminal; when the instructor asks to type, a prompt (Accept / Decline, focused so the
 * keyboard answers it, Escape declines); while the instructor types, a "Take back" button.
 */
import { useEffect, useRef } from 'react';
import type { ConnSnapshot } from './terminalConnection';
import styles from './watch.module.css';

interface Props {
  watch: ConnSnapshot['watch'];
  onAnswer: (action: 'accept' | 'end') => void;
}

export function WatchNotice({ watch, onAnswer }: Props) {
  const acceptRef = useRef<HTMLButtonElement>(null);
  const requested = watch.control === 'requested';
  useEffect(() => {
    if (requested) acceptRef.current?.focus();
  }, [requested]);

  if (watch.control === 'requested') {
    return (
      <div
        className={styles.control}
        role="alertdialog"
        aria-labelledby="control-request-text"
        data-testid="control-prompt"
        onKeyDown={(e) => {
          if (e.key === 'Escape') onAnswer('end');
        }}
      >
        <p id="control-request-text" className={styles.text}>
          The instructor asks to type in your terminal.
        </p>
        <span className={styles.actions}>
          <button ref={acceptRef} type="button" className="btn btn-primary" onClick={() => onAnswer('accept')}>
            Accept
          </button>
          <button type="button" className="btn" onClick={() => onAnswer('end')}>
            Decline
          </button>
        </span>
      </div>
    );
  }
  if (watch.control === 'granted') {
    return (
      <div className={styles.control} role="status" data-testid="control-granted">
        <p className={styles.text}>The instructor is typing in your terminal.</p>
        <button type="button" className="btn btn-primary" onClick={() => onAnswer('end')}>
          Take back
        </button>
      </div>
    );
  }
  if (watch.watchers === 0) return null;
  return (
    <div className={styles.watching} role="status" data-testid="watch-notice">
      <p className={styles.text}>The instructor is watching your terminal{watch.watchers > 1 ? ` (${watch.watchers} watching)` : ''}: they see what you type, and cannot type unless you accept.</p>
    </div>
  );
}
