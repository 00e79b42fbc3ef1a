'use client';
/**
 * The class view's live roster: one WebSocket to `/ws/class` (common/class-protocol.ts), a snapshot then
 * updates, reconnected with a growing delay when it drops. The connection's state is part of what the
 * hook returns, so the page can say when what it shows is not live.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { CLASS_PATH, parseClassServerMessage, type ClassClientMessage, type ClassRow, type StuckSettings } from '@/common/class-protocol';
import { instructorProtocols } from '@/common/instructor-socket';

/** `connecting` the first time, `live` with a snapshot, `reconnecting` after a drop (the rows shown are the last known). */
export type ClassConnection = 'connecting' | 'live' | 'reconnecting';

export interface ClassState {
  connection: ClassConnection;
  workshop: { id: string; title: string; code: string; lab: string; stepTitles: string[] } | null;
  settings: StuckSettings | null;
  rows: ClassRow[];
  /** The server's clock minus this browser's, ms: times on a step are counted on the server's clock. */
  clockOffsetMs: number;
  /** The last refused frame, as the server said it. */
  error: string | null;
}

const INITIAL: ClassState = { connection: 'connecting', workshop: null, settings: null, rows: [], clockOffsetMs: 0, error: null };
const MAX_RETRY_MS = 10_000;

export function useClassSocket(token: string, workshop: string): ClassState & { send(msg: ClassClientMessage): void } {
  const [state, setState] = useState<ClassState>(INITIAL);
  const socket = useRef<WebSocket | null>(null);

  useEffect(() => {
    let stopped = false;
    let retryMs = 500;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const rows = new Map<string, ClassRow>();
    setState(INITIAL);

    const connect = () => {
      const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
      const ws = new WebSocket(`${scheme}://${window.location.host}${CLASS_PATH}?workshop=${encodeURIComponent(workshop)}`, instructorProtocols(token));
      socket.current = ws;
      ws.onmessage = (ev: MessageEvent) => {
        if (typeof ev.data !== 'string') return;
        const parsed = parseClassServerMessage(ev.data);
        if (!parsed.ok) return setState((s) => ({ ...s, error: `The server sent a frame this page does not understand: ${parsed.message}` }));
        const m = parsed.message;
        if (m.type === 'snapshot') {
          retryMs = 500;
          rows.clear();
          for (const r of m.rows) rows.set(r.id, r);
          setState({ connection: 'live', workshop: m.workshop, settings: m.settings, rows: [...rows.values()], clockOffsetMs: m.at - Date.now(), error: null });
        } else if (m.type === 'update') {
          for (const r of m.rows) rows.set(r.id, r);
          for (const id of m.removed) rows.delete(id);
          setState((s) => ({ ...s, rows: [...rows.values()], clockOffsetMs: m.at - Date.now() }));
        } else if (m.type === 'settings') {
          setState((s) => ({ ...s, settings: m.settings }));
        } else {
          setState((s) => ({ ...s, error: m.message }));
        }
      };
      ws.onclose = () => {
        if (socket.current === ws) socket.current = null;
        if (stopped) return;
        setState((s) => ({ ...s, connection: s.connection === 'connecting' ? 'connecting' : 'reconnecting' }));
        timer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      };
    };
    connect();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      socket.current?.close();
      socket.current = null;
    };
  }, [token, workshop]);

  const send = useCallback((msg: ClassClientMessage) => {
    const ws = socket.current;
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }, []);

  return { ...state, send };
}
