'use client';
/** Renders one block of a step. Markdown and code arrive as sanitised HTML from the server. */
import type { CSSProperties } from 'react';
import type { ToolStatus } from '@/common/preflight';
import { commandsOf } from '@/common/commands';
import type { Block, CodeBlock } from '@/common/lab-model';
import { CodeBlockView } from './CodeBlockView';

export interface RunControls {
  labId: string;
  /** Whether there is a shell to type into right now. */
  canRun: boolean;
  ran: ReadonlySet<string>;
  /** Tools the attendee's sandbox lacks (from preflight): blocks that use one say so before Run. */
  missingTools: ReadonlyMap<string, ToolStatus>;
  onRun: (block: CodeBlock) => void;
}

export function BlockList({ blocks, run }: { blocks: Block[]; run: RunControls }) {
  return (
    <>
      {blocks.map((b, i) => (
        <BlockView key={`${b.kind}-${b.line}-${i}`} block={b} run={run} />
      ))}
    </>
  );
}

function BlockView({ block, run }: { block: Block; run: RunControls }) {
  switch (block.kind) {
    case 'markdown':
      return <div className="md" dangerouslySetInnerHTML={{ __html: block.html }} />;
    case 'code':
      return (
        <CodeBlockView
          block={block}
          labId={run.labId}
          canRun={run.canRun}
          ran={run.ran.has(block.id)}
          missing={block.runnable ? commandsOf(block.run).flatMap((c) => run.missingTools.get(c) ?? []) : []}
          onRun={() => run.onRun(block)}
        />
      );
    case 'columns': {
      // Relative widths become fr units; CSS stacks the columns on narrow screens.
      const style = { '--columns': block.widths.map((w) => `minmax(0, ${w}fr)`).join(' ') } as CSSProperties;
      return (
        <div className="columns" style={style}>
          {block.columns.map((col, i) => (
            <div className="column" key={i}>
              <BlockList blocks={col} run={run} />
            </div>
          ))}
        </div>
      );
    }
    case 'pause':
      return <hr className="pause" />;
    case 'spacer':
      return <div className="spacer" style={{ height: `${block.lines * 1.5}em` }} aria-hidden="true" />;
    case 'jump_to_middle':
      // A presenter's vertical-centring hint; meaningless in a scrolling page.
      return null;
  }
}
