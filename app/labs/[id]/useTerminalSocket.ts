'use client';
/**
 * Owns the page's TerminalConnection: created on mount, disposed on unmount (twice in React's
 * strict mode, which is why the socket is opened lazily by the terminal's attach, not here).
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { TerminalConnection } from './terminalConnection';
import { IDLE, type ConnSnapshot } from './terminalState';
const noop = () => () => undefined;

export function useTerminalSocket(): { conn: TerminalConnection | null; snap: ConnSnapshot } {
  const [conn, setConn] = useState<TerminalConnection | null>(null);

  useEffect(() => {
    const c = new TerminalConnection();
    setConn(c);
    const wake = () => c.wake();
    const onVisible = () => {
      if (document.visibilityState === 'visible') c.wake();
    };
    window.addEventListener('online', wake);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.removeEventListener('online', wake);
      document.removeEventListener('visibilitychange', onVisible);
      c.dispose();
    };
  }, []);

  const snap = useSyncExternalStore(
    conn ? conn.subscribe : noop,
    () => (conn ? conn.getSnapshot() : IDLE),
    () => IDLE,
  );
  return { conn, snap };
}
