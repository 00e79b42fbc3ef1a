'use client';
/**
 * Watch one attendee's terminal (issue 10): their own shell, its screen restored, then live, in a
 * read-only xterm sized as theirs. "Take control" asks the attendee (their page prompts); only once
 * they accept does the xterm take keys, and either side can end it ("Release" here, "Take back" there,
 * or closing this pane).
 */
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Terminal as XTerm } from '@xterm/xterm';
import { MONO_FONT } from '@/app/labs/[id]/Terminal';
import { WatchConnection, type WatchSnapshot } from './watchConnection';
import styles from './watch.module.css';

declare global {
  interface Window {
    /** Exposed for the e2e tests, which read the watched terminal's buffer instead of pixels. */
    __labdeckWatch?: { term: XTerm };
  }
}

const noop = () => () => undefined;
const CLOSED: WatchSnapshot = { phase: 'connecting', online: null, control: { type: 'control', state: 'none', mine: false }, message: null, skipped: 0 };

export function WatchPane({ token, attendee, name, onClose }: { token: string; attendee: string; name: string; onClose: () => void }) {
  const [conn, setConn] = useState<WatchConnection | null>(null);
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<XTerm | null>(null);

  useEffect(() => {
    const c = new WatchConnection(token, attendee);
    setConn(c);
    c.open();
    return () => c.dispose();
  }, [token, attendee]);

  const snap = useSyncExternalStore(conn ? conn.subscribe : noop, () => (conn ? conn.getSnapshot() : CLOSED), () => CLOSED);
  const controlling = snap.control.state === 'granted' && snap.control.mine;
  const controllingRef = useRef(controlling);
  controllingRef.current = controlling;

  useEffect(() => {
    const host = hostRef.current;
    if (!conn || !host) return undefined;
    let cancelled = false;
    const cleanups: Array<() => void> = [];
    void (async () => {
      const { Terminal: XTermCtor } = await import('@xterm/xterm');
      if (cancelled) return;
      const term = new XTermCtor({ fontFamily: MONO_FONT, fontSize: 15, lineHeight: 1.1, scrollback: 2000, disableStdin: true, cursorBlink: false, customGlyphs: true, theme: { background: '#0d1117', foreground: '#e6edf3' } });
      term.open(host);
      termRef.current = term;
      window.__labdeckWatch = { term };
      const onData = term.onData((d) => {
        if (controllingRef.current) conn.input(d);
      });
      const sink = {
        screen: (data: string, cols: number, rows: number) => {
          term.reset();
          term.resize(cols, rows);
          term.write(data);
        },
        resize: (cols: number, rows: number) => term.resize(cols, rows),
        write: (data: Uint8Array) => term.write(data),
      };
      conn.attachSink(sink);
      cleanups.push(() => {
        onData.dispose();
        conn.detachSink(sink);
        if (window.__labdeckWatch?.term === term) delete window.__labdeckWatch;
        termRef.current = null;
        term.dispose();
      });
    })();
    return () => {
      cancelled = true;
      for (const c of cleanups) c();
    };
  }, [conn]);

  useEffect(() => {
    const term = termRef.current;
    if (!term) return;
    term.options.disableStdin = !controlling;
    if (controlling) term.focus();
  }, [controlling]);

  return (
    <section className={styles.pane} aria-label={`Terminal of ${name}`} data-testid="watch-pane" data-control={snap.control.mine ? snap.control.state : 'none'}>
      <div className={styles.head}>
        <strong>{name}</strong>
        <span className={styles.state} data-testid="watch-state">
          {describe(snap)}
        </span>
        <span className="spacer-flex" />
        {snap.phase === 'watching' && !snap.control.mine && snap.control.state === 'none' && (
          <button type="button" className="btn btn-small" onClick={() => conn?.control('request')}>
            Take control
          </button>
        )}
        {snap.control.mine && (
          <button type="button" className="btn btn-small" onClick={() => conn?.control('release')}>
            {snap.control.state === 'granted' ? 'Release' : 'Cancel request'}
          </button>
        )}
        <button type="button" className="btn btn-small" onClick={onClose}>
          Stop watching
        </button>
      </div>
      {snap.message && (
        <p className={styles.message} role="status">
          {snap.message}
        </p>
      )}
      <div ref={hostRef} className={styles.terminal} data-testid="watch-terminal" />
    </section>
  );
}

function describe(s: WatchSnapshot): string {
  if (s.phase === 'connecting') return 'connecting…';
  if (s.phase === 'closed') return 'not watching';
  const presence = s.online === false ? ' · attendee offline' : '';
  if (s.control.state === 'granted') return (s.control.mine ? 'you have control: type in the terminal' : 'another instructor has control') + presence;
  if (s.control.state === 'requested') return (s.control.mine ? 'waiting for the attendee to accept…' : 'another instructor asked for control') + presence;
  return `watching, read-only${presence}`;
}
