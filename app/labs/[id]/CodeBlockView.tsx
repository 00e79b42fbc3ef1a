'use client';
/** A code block: highlighted code, optional line numbers, Copy for all and Run for runnable ones. */
import { useEffect, useRef, useState } from 'react';
import type { CodeBlock } from '@/common/lab-model';
import type { ToolStatus } from '@/common/preflight';
import { copyText } from '@/app/lib/clipboard';
import { SnippetOutput, useSnippet } from './SnippetOutput';

interface Props {
  block: CodeBlock;
  labId: string;
  canRun: boolean;
  ran: boolean;
  /** Tools this block runs that the sandbox lacks. */
  missing: ToolStatus[];
  onRun: () => void;
}

export function CodeBlockView({ block, labId, canRun, ran, missing, onRun }: Props) {
  const snippet = useSnippet(labId, block, canRun && block.snippet !== undefined);
  // `+exec_replace`: once there is output, it takes the code's place, as in presenterm.
  const replaced = block.snippet?.mode === 'replace' && snippet.state.kind !== 'idle';
  const lineCount = block.code.replace(/\n$/, '').split('\n').length;
  // A command wraps inside the pane, so it is read whole; a file or a diagram keeps its lines (they
  // scroll sideways), and so does a block with line numbers, which a wrapped line would put out of step.
  const wraps = block.runnable && !block.lineNumbers;
  return (
    <figure className={`code-block${ran ? ' is-ran' : ''}${wraps ? ' is-command' : ''}`} data-block-id={block.id} data-testid={`block-${block.id}`}>
      <figcaption className="code-bar">
        <span className="code-lang">{block.lang || 'text'}</span>
        {ran && (
          <span className="ran-badge" data-testid={`ran-${block.id}`} title="You ran this block">
            ✓ ran
          </span>
        )}
        <span className="code-actions">
          <CopyButton text={block.code} blockId={block.id} />
          {block.runnable && (
            <button
              type="button"
              className="btn btn-run"
              data-testid={`run-${block.id}`}
              disabled={!canRun}
              title={canRun ? 'Type this into your terminal and press Enter' : 'Waiting for your terminal…'}
              onClick={() => {
                onRun();
                revealTerminal();
              }}
            >
              <span aria-hidden="true">▶</span> {ran ? 'Run again' : 'Run'}
            </button>
          )}
          {block.snippet && (
            <button
              type="button"
              className="btn btn-run"
              data-testid={`run-${block.id}`}
              disabled={!canRun || snippet.state.kind === 'running'}
              title={canRun ? 'Run this snippet in your sandbox; its output shows below' : 'Waiting for your sandbox…'}
              onClick={() => void snippet.run()}
            >
              <span aria-hidden="true">▶</span> {snippet.state.kind === 'idle' ? 'Run' : 'Run again'}
            </button>
          )}
        </span>
      </figcaption>
      {missing.length > 0 && (
        <div className="code-missing" role="note" data-testid={`missing-${block.id}`}>
          {missing.map((t) => (
            <p key={t.name}>
              <strong>
                <code>{t.name}</code> is not installed in your sandbox
              </strong>
              {t.why ? ` — ${t.why}` : ''}. Running this block will fail with “command not found”.
              {t.install && (
                <>
                  {' '}
                  To install: <code className="install">{t.install}</code>
                </>
              )}
            </p>
          ))}
        </div>
      )}
      {!replaced && (
      <div className="code-scroll">
        {block.lineNumbers && (
          <pre className="code-gutter" aria-hidden="true">
            {Array.from({ length: lineCount }, (_, i) => i + 1).join('\n')}
          </pre>
        )}
        <pre className="code">
          <code
            className={`hljs${block.lang ? ` language-${block.lang}` : ''}`}
            dangerouslySetInnerHTML={{ __html: block.html }}
          />
        </pre>
      </div>
      )}
      <SnippetOutput blockId={block.id} state={snippet.state} />
    </figure>
  );
}

/**
 * When the window is too narrow for side by side (a laptop at 200% zoom), the terminal is below the
 * steps and Run would type into a shell out of sight: bring it into view. Side by side it is already
 * fully visible and nothing moves.
 */
function revealTerminal(): void {
  document.querySelector('.terminal-pane')?.scrollIntoView({ block: 'nearest' });
}

function CopyButton({ text, blockId }: { text: string; blockId: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const copy = async () => {
    const ok = await copyText(text);
    setState(ok ? 'copied' : 'failed');
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setState('idle'), 1800);
  };

  return (
    <button type="button" className="btn btn-copy" data-testid={`copy-${blockId}`} data-state={state} onClick={copy}>
      {state === 'copied' ? '✓ Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}
