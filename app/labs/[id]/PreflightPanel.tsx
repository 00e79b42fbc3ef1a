'use client';
/**
 * "Tools" check for the attendee's own sandbox: each tool the lab declares, with its version or
 * "missing" plus why the lab needs it and the line that installs it, and whether the sandbox's
 * container engine can start a container. The check itself lives in usePreflight.
 */
import { useState } from 'react';
import type { Preflight } from './usePreflight';

export function PreflightPanel({ preflight }: { preflight: Preflight }) {
  const { report, error, busy, check } = preflight;
  const [open, setOpen] = useState(false);
  const missing = report?.tools.filter((t) => !t.found).length ?? 0;
  const label = busy && !report ? 'Checking tools…' : report ? (missing ? `Tools: ${missing} missing` : 'Tools ✓') : 'Tools';
  return (
    <>
      <button
        type="button"
        className={`btn btn-small preflight-toggle${missing ? ' has-missing' : ''}`}
        aria-expanded={open}
        aria-controls="preflight-panel"
        data-testid="preflight-toggle"
        onClick={() => setOpen((o) => !o)}
      >
        {label}
      </button>
      {open && (
        <div id="preflight-panel" className="preflight" data-testid="preflight-panel" role="region" aria-label="Tools check">
          <div className="preflight-head">
            <strong>What this lab needs, in your sandbox</strong>
            <button type="button" className="btn btn-small" onClick={() => void check()} disabled={busy}>
              {busy ? 'Checking…' : 'Check again'}
            </button>
          </div>
          {error && <p className="preflight-error">Could not check: {error}</p>}
          {report && (
            <ul className="preflight-list">
              {report.tools.map((t) => (
                <li key={t.name} data-tool={t.name} data-found={t.found}>
                  <span className={t.found ? 'ok' : 'missing'} aria-hidden="true">
                    {t.found ? '✓' : '✗'}
                  </span>
                  <code>{t.name}</code>
                  {t.found ? (
                    <span className="version">{t.version ?? 'installed'}</span>
                  ) : (
                    <span className="why">
                      missing{t.why ? ` — ${t.why}` : ''}
                      {t.install && (
                        <>
                          <br />
                          install: <code className="install">{t.install}</code>
                        </>
                      )}
                    </span>
                  )}
                </li>
              ))}
              <li data-tool="container-engine" data-found={report.engine.state === 'ok'}>
                <span className={report.engine.state === 'ok' ? 'ok' : 'missing'} aria-hidden="true">
                  {report.engine.state === 'ok' ? '✓' : '✗'}
                </span>
                <code>container engine</code>
                <span className="why">{report.engine.detail}</span>
              </li>
            </ul>
          )}
        </div>
      )}
    </>
  );
}
