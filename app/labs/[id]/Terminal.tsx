'use client';
/**
 * The xterm.js terminal, filling its pane. xterm touches `window` at import time, so it is loaded
 * with a dynamic import inside the effect: it never runs during server rendering.
 */
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'react';
import type { Terminal as XTerm } from '@xterm/xterm';
import type { TerminalConnection, TerminalSink } from './terminalConnection';

declare global {
  interface Window {
    /** Exposed for the e2e tests, which read `term.buffer.active` instead of pixels. */
    __labdeck?: { term: XTerm };
  }
}

/** Box-drawing diagrams and `kubectl get` tables must line up: a real monospace font, no ligatures. */
export const MONO_FONT = '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, "Liberation Mono", monospace';

const THEME = {
  background: '#0d1117',
  foreground: '#e6edf3',
  cursor: '#58a6ff',
  cursorAccent: '#0d1117',
  selectionBackground: '#264f78',
  black: '#484f58',
  red: '#ff7b72',
  green: '#3fb950',
  yellow: '#d29922',
  blue: '#58a6ff',
  magenta: '#bc8cff',
  cyan: '#39c5cf',
  white: '#b1bac4',
  brightBlack: '#6e7681',
  brightRed: '#ffa198',
  brightGreen: '#56d364',
  brightYellow: '#e3b341',
  brightBlue: '#79c0ff',
  brightMagenta: '#d2a8ff',
  brightCyan: '#56d4dd',
  brightWhite: '#ffffff',
};

interface Props {
  conn: TerminalConnection;
  fontSize: number;
}

export function Terminal({ conn, fontSize }: Props) {
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<XTerm | null>(null);
  const refitRef = useRef<() => void>(() => undefined);
  // Read when xterm finishes loading, which may be after the first font-size change.
  const fontSizeRef = useRef(fontSize);

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    let cancelled = false;
    const cleanups: Array<() => void> = [];

    void (async () => {
      const [{ Terminal: XTermCtor }, { FitAddon }] = await Promise.all([
        import('@xterm/xterm'),
        import('@xterm/addon-fit'),
      ]);
      if (cancelled) return;
      const term = new XTermCtor({
        fontFamily: MONO_FONT,
        fontSize: fontSizeRef.current,
        lineHeight: 1.15,
        cursorBlink: true,
        scrollback: 5000,
        theme: THEME,
        // Draw box-drawing characters as glyphs of the cell size, so diagrams join up at any font size.
        customGlyphs: true,
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(host);
      termRef.current = term;
      window.__labdeck = { term };

      const refit = () => {
        if (!host.isConnected || host.clientWidth === 0 || host.clientHeight === 0) return;
        fit.fit();
        conn.resize(term.cols, term.rows);
      };
      refitRef.current = refit;
      refit();

      const sink: TerminalSink = {
        write: (data, parsed) => term.write(data, parsed),
        reset: () => term.reset(),
        size: () => ({ cols: term.cols, rows: term.rows }),
      };
      const onData = term.onData((d) => conn.sendInput(d));
      // Mouse reports in some modes arrive here rather than onData.
      const onBinary = term.onBinary((d) => conn.sendInput(d));
      conn.attach(sink);

      // Coalesce resize bursts (dragging the split) into one fit per frame.
      let frame = 0;
      const schedule = () => {
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(refit);
      };
      const observer = new ResizeObserver(schedule);
      observer.observe(host);
      window.addEventListener('resize', schedule);

      cleanups.push(() => {
        cancelAnimationFrame(frame);
        observer.disconnect();
        window.removeEventListener('resize', schedule);
        onData.dispose();
        onBinary.dispose();
        conn.detach(sink);
        if (window.__labdeck?.term === term) delete window.__labdeck;
        termRef.current = null;
        refitRef.current = () => undefined;
        term.dispose();
      });
    })();

    return () => {
      cancelled = true;
      for (const c of cleanups) c();
    };
  }, [conn]);

  useEffect(() => {
    fontSizeRef.current = fontSize;
    const term = termRef.current;
    if (!term || term.options.fontSize === fontSize) return;
    term.options.fontSize = fontSize;
    refitRef.current();
  }, [fontSize]);

  return <div ref={hostRef} className="terminal-host" data-testid="terminal" />;
}
