'use client';
/**
 * Presenter mode (issue 10): the instructor's current step, broadcast to the workshop's attendees
 * (POST /api/workshops/:id/presenter); those who follow move with it. The current step's speaker
 * notes show here, in the instructor's view only.
 */
import { useCallback, useEffect, useState } from 'react';
import { api } from '@/app/lib/api';
import { StepNotesView, useLabNotes } from './NotesViewer';
import styles from './watch.module.css';

export function PresenterControls({ token, workshop, labId }: { token: string; workshop: string; labId: string }) {
  const [step, setStep] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { notes, lab } = useLabNotes(token, labId);
  const count = lab?.steps.length ?? 0;

  useEffect(() => {
    let live = true;
    setStep(null);
    api.presenter(token, workshop).then(
      (s) => live && setStep(s.step),
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [token, workshop]);

  const present = useCallback(
    (next: number | null) => {
      setError(null);
      api.present(token, workshop, next).then(
        (s) => setStep(s.step),
        (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
      );
    },
    [token, workshop],
  );

  return (
    <div data-testid="presenter-controls">
      <div className={styles.presenter}>
        {step === null ? (
          <button type="button" className="btn btn-primary" onClick={() => present(0)} disabled={count === 0} data-testid="present-start">
            Present from step 1
          </button>
        ) : (
          <>
            <button type="button" className="btn" onClick={() => present(step - 1)} disabled={step <= 0} aria-label="Previous step">
              ← Previous
            </button>
            <select aria-label="Presenter step" value={step} onChange={(e) => present(Number(e.target.value))} data-testid="presenter-step">
              {(lab?.steps ?? []).map((s, i) => (
                <option key={i} value={i}>
                  {i + 1}. {s.title}
                </option>
              ))}
            </select>
            <button type="button" className="btn" onClick={() => present(step + 1)} disabled={step >= count - 1} aria-label="Next step" data-testid="presenter-next">
              Next →
            </button>
            <button type="button" className="btn" onClick={() => present(null)}>
              Stop presenting
            </button>
          </>
        )}
        {error && (
          <span className="form-error" role="alert">
            {error}
          </span>
        )}
      </div>
      {step !== null && (
        <>
          <p className={styles.current} data-testid="presenter-current">
            Presenting step {step + 1}: {lab?.steps[step]?.title ?? ''}
          </p>
          <StepNotesView notes={notes} step={step} className={styles.notes} />
        </>
      )}
    </div>
  );
}
