'use client';
/**
 * How many attendees are on each step, and how many are past it, as plain bars (no chart library): the
 * class's shape at a glance, live with the class socket.
 */
import type { ClassRow } from '@/common/class-protocol';
import styles from './class.module.css';

export function StepChart({ stepTitles, rows }: { stepTitles: string[]; rows: ClassRow[] }) {
  const total = rows.length;
  const on = new Array<number>(stepTitles.length).fill(0);
  for (const r of rows) if (r.step !== null && r.step < on.length) on[r.step]! += 1;
  let past = 0;
  const pastCounts = new Array<number>(stepTitles.length).fill(0);
  for (let i = stepTitles.length - 1; i >= 0; i--) {
    pastCounts[i] = past;
    past += on[i]!;
  }
  const pct = (n: number) => (total > 0 ? `${(n / total) * 100}%` : '0%');
  return (
    <figure className={styles.chart} data-testid="step-chart" aria-label="Attendees on and past each step">
      <ol>
        {stepTitles.map((title, i) => (
          <li key={i} className={styles.chartRow} data-step={i} data-on={on[i]} data-past={pastCounts[i]}>
            <span className={styles.chartLabel} title={title}>
              {i + 1}. {title}
            </span>
            <span className={styles.chartBar} aria-hidden="true">
              <span className={styles.chartPast} style={{ width: pct(pastCounts[i]!) }} />
              <span className={styles.chartOn} style={{ width: pct(on[i]!) }} />
            </span>
            <span className={styles.chartCount}>
              {on[i]} on · {pastCounts[i]} past
            </span>
          </li>
        ))}
      </ol>
      <figcaption className="muted">
        <span className={styles.keyOn} /> on the step <span className={styles.keyPast} /> past it
      </figcaption>
    </figure>
  );
}
