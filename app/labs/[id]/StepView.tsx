'use client';
/** Left pane: where you are in the lab, the current step's content, and Previous/Next. */
import { useEffect, useRef } from 'react';
import type { Lab } from '@/common/lab-model';
import { BlockList, type RunControls } from './BlockView';
import { TeachPanel } from './TeachPanel';
import type { Teach } from './useTeach';
import styles from './teach.module.css';

interface Props {
  lab: Lab;
  index: number;
  run: RunControls;
  teach: Teach;
  onGo: (index: number) => void;
}

export function StepView({ lab, index, run, teach, onGo }: Props) {
  const step = lab.steps[index];
  const total = lab.steps.length;
  const scrollRef = useRef<HTMLDivElement>(null);

  // A new step starts at its top, not wherever the previous one was scrolled to.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [index]);

  if (!step) return null;
  const percent = total > 1 ? (index / (total - 1)) * 100 : 100;
  return (
    <section className="step-pane" aria-label="Lab steps">
      <header className="step-header">
        <div className="step-meta">
          <span className="step-count" data-testid="step-count">
            Step {index + 1} of {total}
          </span>
          {/* The slide's own markdown carries its heading; this is the compact "where am I". */}
          <span className="step-name" data-testid="step-title">
            {step.title}
          </span>
        </div>
        <div
          className="bar step-bar"
          role="progressbar"
          aria-label="Lab progress"
          aria-valuemin={1}
          aria-valuemax={total}
          aria-valuenow={index + 1}
        >
          <div className="bar-fill" style={{ width: `${percent}%` }} />
        </div>
      </header>
      <div className="step-scroll" ref={scrollRef}>
        <article className="step-body" data-step={index}>
          <BlockList blocks={step.blocks} run={run} />
          <TeachPanel lab={lab} index={index} teach={teach} canRun={run.canRun} />
        </article>
      </div>
      <nav className="step-nav" aria-label="Step navigation">
        <button type="button" className="btn" data-testid="prev" disabled={index === 0} onClick={() => onGo(index - 1)}>
          ← Previous
        </button>
        {teach.nextBlocked && index < total - 1 ? (
          <span className={styles.blocked} data-testid="next-blocked" role="note">
            Pass this step&apos;s check to go on.
          </span>
        ) : (
          <span className="step-nav-hint">
            <kbd>←</kbd> <kbd>→</kbd> to move between steps
          </span>
        )}
        <button
          type="button"
          className="btn btn-primary"
          data-testid="next"
          disabled={index >= total - 1 || teach.nextBlocked}
          onClick={() => onGo(index + 1)}
        >
          Next →
        </button>
      </nav>
    </section>
  );
}
