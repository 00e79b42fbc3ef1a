'use client';
/** Reset with an inline confirm: a second, explicit click, so a stray click never wipes someone's work. */
import { useState } from 'react';
import { api } from '@/app/lib/api';

interface Props {
  token: string;
  attendee: string;
  name: string | null;
  disabled: boolean;
  onDone: () => void;
}

export function ResetButton({ token, attendee, name, disabled, onDone }: Props) {
  const [phase, setPhase] = useState<'idle' | 'confirm' | 'busy'>('idle');
  const [error, setError] = useState<string | null>(null);

  const reset = async () => {
    setPhase('busy');
    try {
      await api.resetSandbox(token, attendee);
      setError(null);
      onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setPhase('idle');
    }
  };

  if (phase === 'confirm') {
    return (
      <>
        <button type="button" className="btn btn-small btn-danger" data-testid="confirm-reset" onClick={reset} autoFocus>
          Reset {name ?? 'this sandbox'}?
        </button>
        <button type="button" className="btn btn-small" onClick={() => setPhase('idle')}>
          Cancel
        </button>
      </>
    );
  }
  return (
    <>
      {error && <span className="form-error" title={error}>failed</span>}
      <button
        type="button"
        className="btn btn-small"
        data-testid="reset"
        disabled={disabled || phase === 'busy'}
        onClick={() => setPhase('confirm')}
      >
        {phase === 'busy' ? 'Resetting…' : 'Reset'}
      </button>
    </>
  );
}
