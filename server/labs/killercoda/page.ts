/**
 * A scenario's page: its markdown, with Killercoda's actions (actions.ts) and port links (traffic.ts),
 * becomes a step's blocks; Katacoda's `answer` page becomes a hint. The images a page shows are listed
 * in `scope.images` for the confinement rule (../images.ts).
 */
import type { Block, CodeBlock } from '../../../common/lab-model.js';
import type { Report } from '../diagnostics.js';
import { rewriteImages, type ImageRef } from '../images.js';
import { renderMarkdown, structureMd } from '../render.js';
import { codeBlock, inlineActions, readAction, stripFenceActions } from './actions.js';
import { replaceTraffic } from './traffic.js';

export interface PageScope {
  id: string;
  labDir: string;
  /** Every image the page shows is added here. */
  images: ImageRef[];
}

/**
 * A step's markdown: top-level fences become code blocks (a closing fence may carry an action,
 * "```{{exec}}"), the markdown between them is rendered, and an action after a code span (or on a
 * fence nested in a list) stays where it is written, marked `data-labdeck-block`, with an inline
 * CodeBlock after its markdown block.
 */
export function readPage(text: string, stepIndex: number, scope: PageScope, report: Report): { blocks: Block[]; heading?: string } {
  const lines = replaceTraffic(text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n'), report);
  const original = [...lines];
  const fenceActions = stripFenceActions(lines);
  const blocks: Block[] = [];
  let n = 0;
  const nextId = () => `s${stepIndex}-b${++n}`;
  const tokens = structureMd.parse(lines.join('\n'), {});
  let heading: string | undefined;
  let chunkStart: number | undefined;
  let chunkEnd = 0;
  const flush = () => {
    if (chunkStart === undefined) return;
    const start = chunkStart;
    chunkStart = undefined;
    const inline: CodeBlock[] = [];
    const html = renderMarkdown(lines.slice(start, chunkEnd).join('\n'), (toks) => {
      rewriteImages(toks, start, { ...scope, lines }, report);
      inline.push(...inlineActions(toks, start, original, fenceActions, nextId, report));
    });
    if (html.trim() !== '') blocks.push({ kind: 'markdown', html, line: start + 1 });
    blocks.push(...inline);
  };
  for (const t of tokens) {
    if (t.level !== 0 || !t.map) continue;
    if (t.type === 'heading_open' && heading === undefined) {
      const i = tokens.indexOf(t);
      heading = tokens[i + 1]?.content.trim() || undefined;
    }
    if (t.type === 'fence') {
      flush();
      const actionText = fenceActions.get(t.map[0]);
      const action = actionText === undefined ? { runnable: false, interrupt: false, copy: true } : readAction(actionText.words);
      if (action.warning && actionText) report('warning', actionText.line + 1, actionText.column, action.warning);
      const lang = t.info.trim().split(/\s+/)[0] ?? '';
      blocks.push(codeBlock(nextId(), lang, t.content.replace(/\n$/, ''), action, 'block', t.map[0] + 1));
      continue;
    }
    if (t.nesting === -1) continue;
    chunkStart ??= t.map[0];
    chunkEnd = Math.max(chunkEnd, t.map[1]);
  }
  flush();
  return { blocks, ...(heading ? { heading } : {}) };
}

/** Katacoda's `answer` page, shown as the step's last hint. */
export function renderAnswer(text: string, scope: PageScope, report: Report): string {
  const lines = replaceTraffic(text.split('\n'), report);
  return renderMarkdown(lines.join('\n'), (toks) => rewriteImages(toks, 0, { ...scope, lines }, report));
}
