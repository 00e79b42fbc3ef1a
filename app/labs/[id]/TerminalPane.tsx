'use client';
/** Right pane: header (status, sandbox kind, actions), start-up progress, notices, and the terminal. */
import { ConnectionStatus } from './ConnectionStatus';
import { Notices } from './Notices';
import { PreflightPanel } from './PreflightPanel';
import type { Preflight } from './usePreflight';
import { SandboxBadge } from './SandboxBadge';
import { Terminal } from './Terminal';
import type { ConnSnapshot, TerminalConnection } from './terminalConnection';

interface Props {
  preflight: Preflight;
  conn: TerminalConnection | null;
  snap: ConnSnapshot;
  fontSize: number;
}

export function TerminalPane({ preflight, conn, snap, fontSize }: Props) {
  const { state } = snap;
  return (
    <section className="terminal-pane" aria-label="Your terminal">
      <header className="terminal-header">
        <ConnectionStatus state={state} latency={snap.latency} />
        <SandboxBadge sandbox={snap.sandbox} />
        <span className="spacer-flex" />
        <PreflightPanel preflight={preflight} />
        {state.kind === 'reconnecting' && (
          <button type="button" className="btn btn-small" onClick={() => conn?.reconnectNow()}>
            Retry now
          </button>
        )}
      </header>
      {state.kind === 'starting' && (
        <div className="start-progress" data-testid="sandbox-progress">
          <div
            className="bar"
            role="progressbar"
            aria-label={state.phase}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(state.fraction * 100)}
          >
            <div className="bar-fill" style={{ width: `${Math.max(4, state.fraction * 100)}%` }} />
          </div>
          <span className="start-phase">{state.phase}</span>
        </div>
      )}
      {conn && <Notices notices={snap.notices} onDismiss={(id) => conn.dismissNotice(id)} />}
      <div className="terminal-body">
        {conn && <Terminal conn={conn} fontSize={fontSize} />}
        <Blocker snap={snap} conn={conn} />
      </div>
    </section>
  );
}

/** States that need the attendee's decision get a panel over the (stale) terminal. */
function Blocker({ snap, conn }: { snap: ConnSnapshot; conn: TerminalConnection | null }) {
  const { state } = snap;
  if (!conn) return null;
  if (state.kind === 'join-required') {
    return (
      <div className="blocker" role="alertdialog" aria-labelledby="blocker-title" data-testid="join-required">
        <div className="blocker-card">
          <h2 id="blocker-title">Join the workshop first</h2>
          <p>{state.message}</p>
          <a className="btn btn-primary" href="/join" autoFocus>
            Join a workshop
          </a>
        </div>
      </div>
    );
  }
  let title: string;
  let body: string;
  let action: { label: string; run: () => void; testid: string };
  switch (state.kind) {
    case 'sandbox-gone':
      title = 'Your sandbox is gone';
      body = state.message;
      action = { label: 'Start a new sandbox', run: () => conn.recreate(), testid: 'recreate' };
      break;
    case 'taken-over':
      title = 'This lab is open in another tab';
      body = 'Your shell moved to the other tab. You can bring it back here.';
      action = { label: 'Use this tab', run: () => conn.reconnectNow(), testid: 'take-back' };
      break;
    case 'failed':
      title = 'The terminal stopped';
      body = state.message;
      action = { label: 'Reconnect', run: () => conn.reconnectNow(), testid: 'reconnect' };
      break;
    default:
      return null;
  }
  return (
    <div className="blocker" role="alertdialog" aria-labelledby="blocker-title">
      <div className="blocker-card">
        <h2 id="blocker-title">{title}</h2>
        <p>{body}</p>
        <button type="button" className="btn btn-primary" data-testid={action.testid} onClick={action.run} autoFocus>
          {action.label}
        </button>
      </div>
    </div>
  );
}
