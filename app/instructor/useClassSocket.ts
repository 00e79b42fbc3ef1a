'use client';
/**
 * The class view's live roster: one WebSocket to `/ws/class` through the one class client
 * (common/class-client.ts: the fold of snapshot and updates, applyClassFrame, shared with the tests),
 * reconnected with the shared backoff with jitter (common/reconnect.ts) when it drops. The connection's
 * state is part of what the hook returns, so the page can say when what it shows is not live.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { EMPTY_ROSTER, ClassClient, type ClassRoster } from '@/common/class-client';
import { CLASS_PATH, type ClassClientMessage } from '@/common/class-protocol';
import { instructorProtocols } from '@/common/instructor-socket';
import { Reconnector } from '@/common/reconnect';

/** `connecting` the first time, `live` with a snapshot, `reconnecting` after a drop (the rows shown are the last known). */
export type ClassConnection = 'connecting' | 'live' | 'reconnecting';

export interface ClassState extends ClassRoster {
  connection: ClassConnection;
}

const INITIAL: ClassState = { connection: 'connecting', ...EMPTY_ROSTER };
/** The class view waits at most this long between attempts. */
const BACKOFF = { minMs: 500, maxMs: 10_000 };

export function useClassSocket(token: string, workshop: string): ClassState & { send(msg: ClassClientMessage): void } {
  const [state, setState] = useState<ClassState>(INITIAL);
  const client = useRef<ClassClient | null>(null);

  useEffect(() => {
    let roster: ClassRoster = EMPTY_ROSTER;
    setState(INITIAL);
    const connect = () => {
      const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
      const ws = new WebSocket(`${scheme}://${window.location.host}${CLASS_PATH}?workshop=${encodeURIComponent(workshop)}`, instructorProtocols(token));
      const c: ClassClient = new ClassClient(
        ws,
        {
          onFrame: (frame, next) => {
            roster = next;
            if (frame.type === 'snapshot') retry.succeeded();
            setState((s) => ({ ...next, connection: frame.type === 'snapshot' ? 'live' : s.connection }));
          },
          onInvalid: (error) => setState((s) => ({ ...s, error: `The server sent a frame this page does not understand: ${error}` })),
          onClose: () => {
            if (client.current === c) client.current = null;
            if (retry.schedule() === null) return;
            setState((s) => ({ ...s, connection: s.connection === 'connecting' ? 'connecting' : 'reconnecting' }));
          },
        },
        // A new socket starts from the rows shown; its snapshot replaces them.
        roster,
      );
      client.current = c;
    };
    const retry = new Reconnector(connect, BACKOFF);
    connect();
    return () => {
      retry.stop();
      client.current?.abandon();
      client.current = null;
    };
  }, [token, workshop]);

  const send = useCallback((msg: ClassClientMessage) => {
    client.current?.send(msg);
  }, []);

  return { ...state, send };
}
