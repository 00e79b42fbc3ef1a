'use client';
/** The landing page: every lab that loaded, and every one that did not, with file:line diagnostics. */
import Link from 'next/link';
import { useEffect, useState } from 'react';
import type { LabLoadFailure, LabSummary } from '@/common/lab-model';
import { api } from '@/app/lib/api';

type Loaded = { labs: LabSummary[]; failures: LabLoadFailure[] };

export function Catalogue() {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    Promise.all([api.labs(), api.failures().catch(() => [] as LabLoadFailure[])]).then(
      ([labs, failures]) => live && setData({ labs, failures }),
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, []);

  return (
    <main className="catalogue">
      <header className="hero">
        <div className="brand brand-large">
          lab<span>deck</span>
        </div>
        <p className="hero-sub">Pick a lab. Its steps open beside a real terminal of your own.</p>
      </header>
      {error && <p className="error-card">Could not load the labs: {error}</p>}
      {!data && !error && <p className="muted">Loading labs…</p>}
      {data && (
        <>
          <section aria-labelledby="labs-heading">
            <h2 id="labs-heading" className="section-title">
              Labs
            </h2>
            {data.labs.length === 0 ? (
              <p className="muted">No labs yet. Add a presenterm deck under <code>labs/</code>.</p>
            ) : (
              <ul className="lab-grid" data-testid="lab-list">
                {data.labs.map((lab) => (
                  <li key={lab.id}>
                    <Link className="lab-card" href={`/labs/${encodeURIComponent(lab.id)}`} data-testid={`lab-${lab.id}`}>
                      <span className="lab-card-title">{lab.title}</span>
                      <span className="lab-card-meta">
                        {lab.steps} {lab.steps === 1 ? 'step' : 'steps'}
                      </span>
                      <span className="lab-card-go" aria-hidden="true">
                        Open lab →
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </section>
          {data.failures.length > 0 && <Failures failures={data.failures} />}
          <footer className="catalogue-footer">
            <Link href="/instructor">Instructor dashboard</Link>
          </footer>
        </>
      )}
    </main>
  );
}

function Failures({ failures }: { failures: LabLoadFailure[] }) {
  return (
    <section aria-labelledby="failures-heading" className="failures" data-testid="lab-failures">
      <h2 id="failures-heading" className="section-title">
        Labs that failed to load
      </h2>
      {failures.map((f) => (
        <article key={f.id} className="failure-card">
          <h3>{f.id}</h3>
          <ul className="diagnostics">
            {f.diagnostics.map((d, i) => (
              <li key={i} className={`diag diag-${d.severity}`}>
                <code className="diag-pos">
                  {d.file}:{d.line}:{d.column}
                </code>{' '}
                <span className="diag-sev">{d.severity}</span> <span className="diag-msg">{d.message}</span>
              </li>
            ))}
          </ul>
        </article>
      ))}
    </section>
  );
}
