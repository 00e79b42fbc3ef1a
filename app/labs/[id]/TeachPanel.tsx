'use client';
/**
 * Under a step's content: its setup progress, Check and its result, hints revealed one at a time, and
 * the solution, which the attendee may have typed into their own terminal (visibly, through Run).
 */
import { useEffect, useState } from 'react';
import type { Lab } from '@/common/lab-model';
import type { Teach } from './useTeach';
import styles from './teach.module.css';

interface Props {
  lab: Lab;
  index: number;
  teach: Teach;
  canRun: boolean;
}

export function TeachPanel({ lab, index, teach, canRun }: Props) {
  const step = lab.steps[index];
  const [shownHints, setShownHints] = useState(0);
  const [showSolution, setShowSolution] = useState(false);
  const [solutionError, setSolutionError] = useState<string | null>(null);

  useEffect(() => {
    setShownHints(0);
    setShowSolution(false);
    setSolutionError(null);
  }, [index]);

  if (!step) return null;
  const hasSetup = lab.hasSetup || step.hasSetup;
  if (!step.hasCheck && step.hints.length === 0 && !step.solution && !hasSetup) return null;
  const { check, setup } = teach;
  const passed = teach.passed.has(index);

  return (
    <aside className={styles.panel} aria-label="Check your work" data-testid="teach-panel">
      {setup.kind === 'running' && (
        <p className={styles.muted} data-testid="setup-status" data-state="running">
          Preparing this step in your sandbox…
        </p>
      )}
      {setup.kind === 'done' && setup.message && (
        <p className={styles.muted} data-testid="setup-status" data-state="notes" role="status">
          {setup.message}
        </p>
      )}
      {setup.kind === 'failed' && (
        <p className={styles.fail} data-testid="setup-status" data-state="failed" role="alert">
          {setup.message}
        </p>
      )}

      {step.hasCheck && (
        <div className={styles.row}>
          <button
            type="button"
            className="btn btn-primary"
            data-testid="check"
            disabled={!canRun || check.kind === 'running'}
            title={canRun ? 'Check this step in your sandbox' : 'Waiting for your terminal…'}
            onClick={() => void teach.runCheck()}
          >
            {check.kind === 'running' ? 'Checking…' : 'Check'}
          </button>
          {passed && check.kind !== 'done' && <span className={styles.muted}>✓ You passed this step before.</span>}
          {step.recheckSeconds && !passed && <span className={styles.muted}>Checked again every {step.recheckSeconds} s.</span>}
        </div>
      )}
      {check.kind === 'done' && (
        <p className={check.passed ? styles.pass : styles.fail} data-testid="check-result" data-passed={String(check.passed)} role="status">
          {check.passed ? '✓ Passed' : '✗ Not yet'}
          {check.message ? `\n${check.message}` : ''}
        </p>
      )}
      {check.kind === 'error' && (
        <p className={styles.fail} data-testid="check-result" data-passed="false" role="status">
          {check.message}
        </p>
      )}

      {step.hints.length > 0 && (
        <div>
          {shownHints > 0 && (
            <ol className={styles.hints}>
              {step.hints.slice(0, shownHints).map((h, i) => (
                <li key={i} data-testid={`hint-${i}`} dangerouslySetInnerHTML={{ __html: h }} />
              ))}
            </ol>
          )}
          {shownHints < step.hints.length && (
            <button type="button" className="btn" data-testid="hint-next" onClick={() => setShownHints((n) => n + 1)}>
              {shownHints === 0 ? 'Show a hint' : 'Another hint'} ({step.hints.length - shownHints} left)
            </button>
          )}
        </div>
      )}

      {step.solution && (
        <div className={styles.row}>
          {!showSolution ? (
            <button type="button" className="btn" data-testid="solution-show" onClick={() => setShowSolution(true)}>
              Show the solution
            </button>
          ) : (
            <>
              <pre className={styles.solution} data-testid="solution">
                {step.solution}
              </pre>
              <button
                type="button"
                className="btn btn-run"
                data-testid="solution-run"
                disabled={!canRun}
                onClick={() => void teach.typeSolution().then(setSolutionError)}
              >
                <span aria-hidden="true">▶</span> Type it in my terminal
              </button>
              {solutionError && <span className={styles.fail}>{solutionError}</span>}
            </>
          )}
        </div>
      )}
    </aside>
  );
}
