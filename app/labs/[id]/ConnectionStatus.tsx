'use client';
/** The always-visible connection indicator in the terminal header. */
import { useEffect, useState } from 'react';
import type { ConnState } from './terminalConnection';

export type StatusKind = ConnState['kind'] | 'unreachable';

export function statusKind(state: ConnState): StatusKind {
  return state.kind === 'reconnecting' && state.unreachable ? 'unreachable' : state.kind;
}

/** Seconds until `at`, re-rendered every second while counting down. */
function useCountdown(at: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (at == null) return undefined;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [at]);
  return at == null ? 0 : Math.max(0, Math.ceil((at - now) / 1000));
}

function label(state: ConnState, seconds: number, latency: number | null): string {
  switch (state.kind) {
    case 'connecting':
      return 'Connecting…';
    case 'starting':
      return 'Starting sandbox…';
    case 'connected':
      return latency != null ? `Connected · ${latency} ms` : 'Connected';
    case 'reconnecting': {
      const when = seconds > 0 ? `retrying in ${seconds} s` : 'retrying now';
      return state.unreachable ? `Server unreachable · ${when}` : `Reconnecting in ${seconds} s`;
    }
    case 'sandbox-gone':
      return 'Sandbox gone';
    case 'taken-over':
      return 'Open in another tab';
    case 'join-required':
      return 'Not joined';
    case 'failed':
      return 'Disconnected';
  }
}

export function ConnectionStatus({ state, latency }: { state: ConnState; latency: number | null }) {
  const seconds = useCountdown(state.kind === 'reconnecting' ? state.retryAt : null);
  const kind = statusKind(state);
  return (
    <span className="conn-status" data-testid="conn-status" data-state={kind} role="status" aria-live="polite">
      <span className="conn-dot" aria-hidden="true" />
      {label(state, seconds, latency)}
    </span>
  );
}
