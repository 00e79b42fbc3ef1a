'use client';
/**
 * A non-shell `+exec` snippet's Run and its output, streamed under the block (POST /api/snippet). The
 * snippet runs out of band in the attendee's sandbox, never in their terminal. `+auto_exec` and
 * `+exec_replace` run once when the step is shown, as presenterm runs them when the slide is.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CodeBlock } from '@/common/lab-model';
import { api as teachApi } from '@/app/lib/api';
import styles from './teach.module.css';

/** Output kept on the page; a snippet that prints more shows its last part. */
const MAX_OUTPUT_CHARS = 64 * 1024;

type RunState = { kind: 'idle' } | { kind: 'running'; output: string } | { kind: 'done'; output: string; ok: boolean; message?: string };

export function useSnippet(labId: string, block: CodeBlock, canRun: boolean) {
  const [state, setState] = useState<RunState>({ kind: 'idle' });
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const run = useCallback(async () => {
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    let output = '';
    setState({ kind: 'running', output });
    try {
      await teachApi.snippet(
        labId,
        block.id,
        (e) => {
          if (e.type === 'output') {
            output = (output + e.data).slice(-MAX_OUTPUT_CHARS);
            setState({ kind: 'running', output });
          } else setState({ kind: 'done', output, ok: e.ok, ...(e.message ? { message: e.message } : {}) });
        },
        ctl.signal,
      );
    } catch (err) {
      if (!ctl.signal.aborted) setState({ kind: 'done', output, ok: false, message: err instanceof Error ? err.message : String(err) });
    }
  }, [labId, block.id]);

  const auto = block.snippet?.mode === 'auto' || block.snippet?.mode === 'replace';
  const started = useRef(false);
  useEffect(() => {
    if (auto && canRun && !started.current) {
      started.current = true;
      void run();
    }
  }, [auto, canRun, run]);

  return { state, run };
}

export function SnippetOutput({ blockId, state }: { blockId: string; state: RunState }) {
  if (state.kind === 'idle') return null;
  return (
    <div className={styles.snippetOutput} data-testid={`output-${blockId}`} data-state={state.kind === 'running' ? 'running' : state.ok ? 'ok' : 'failed'}>
      {state.output && <pre>{state.output}</pre>}
      {state.kind === 'running' && <p className={styles.muted}>Running…</p>}
      {state.kind === 'done' && state.message && <p className={styles.fail}>{state.message}</p>}
      {state.kind === 'done' && !state.message && !state.ok && <p className={styles.fail}>The snippet failed.</p>}
    </div>
  );
}
