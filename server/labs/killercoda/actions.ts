/**
 * Killercoda's markdown action dialect: `{{exec}}`, `{{exec interrupt}}`, `{{copy}}`, `{{}}` after a
 * code span or after a closing fence, and Katacoda's `{{execute}}` family (`{{execute T2}}`,
 * `{{execute ctrl-seq}}`, `{{open}}`). What each becomes is in docs/lab-format.md; what labdeck does
 * differently is a warning at the action.
 */
import type { Token } from 'markdown-it';
import type { CodeBlock } from '../../../common/lab-model.js';
import type { Report } from '../diagnostics.js';
import { highlight } from '../render.js';

/** One action after a code span or a closing fence: `{{exec}}`, `{{execute T2}}`, `{{copy}}`, `{{}}`… */
export interface Action {
  runnable: boolean;
  interrupt: boolean;
  copy: boolean;
  /** Why labdeck does part of it differently; a warning at the action. */
  warning?: string;
}

/** What an action's words mean (`exec interrupt`, `execute T2`, `copy`, '' …). */
export function readAction(words: string): Action {
  const parts = words.trim().split(/\s+/).filter(Boolean);
  const [verb, ...rest] = parts;
  if (verb === undefined) return { runnable: false, interrupt: false, copy: false };
  if (verb === 'copy' && rest.length === 0) return { runnable: false, interrupt: false, copy: true };
  if (verb === 'open') return { runnable: false, interrupt: false, copy: true, warning: '{{open}} opens a file in an editor, which labdeck does not have: shown as code' };
  if (verb !== 'exec' && verb !== 'execute') return { runnable: false, interrupt: false, copy: true, warning: `unknown action {{${words.trim()}}}: shown as code` };
  const action: Action = { runnable: true, interrupt: false, copy: true };
  for (const word of rest) {
    if (word === 'interrupt') action.interrupt = true;
    else if (/^(T|HOST)1$/i.test(word)) continue;
    else if (/^(T|HOST)\d+$/i.test(word)) action.warning = `labdeck has one terminal on one host: {{${words.trim()}}} runs in it`;
    else if (word === 'ctrl-seq') return { runnable: false, interrupt: false, copy: true, warning: '{{execute ctrl-seq}} is not supported by labdeck: press the keys in the terminal' };
    else return { runnable: false, interrupt: false, copy: true, warning: `unknown action {{${words.trim()}}}: shown as code` };
  }
  return action;
}

/** A closing fence's action, by the 0-based line of the fence's opening. */
export type FenceActions = Map<number, { words: string; line: number; column: number }>;

/**
 * Removes the action after each closing fence ("```{{exec}}" is not a closing fence in CommonMark,
 * so left alone it would swallow the rest of the page) and returns them by the fence's opening line.
 */
export function stripFenceActions(lines: string[]): FenceActions {
  const actions: FenceActions = new Map();
  let open: { marker: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!open) {
      const m = /^[\s>]*(`{3,}|~{3,})(.*)$/.exec(line);
      if (m?.[1] && !(m[1].startsWith('`') && (m[2] ?? '').includes('`'))) open = { marker: m[1], line: i };
      continue;
    }
    const close = /^([\s>]*)(`{3,}|~{3,})[ \t]*(?:\{\{([^}]*)\}\})?[ \t]*$/.exec(line);
    if (!close?.[2] || close[2][0] !== open.marker[0] || close[2].length < open.marker.length) continue;
    if (close[3] !== undefined) {
      actions.set(open.line, { words: close[3], line: i, column: line.indexOf('{{') + 1 });
      lines[i] = `${close[1] ?? ''}${close[2]}`;
    }
    open = undefined;
  }
  return actions;
}

/** Actions inside rendered markdown: after a code span, or on a fence nested in a list or quote. */
export function inlineActions(
  tokens: Token[],
  firstLine0: number,
  lines: readonly string[],
  fenceActions: FenceActions,
  nextId: () => string,
  report: Report,
): CodeBlock[] {
  const found: CodeBlock[] = [];
  for (const t of tokens) {
    if (t.type === 'fence' && t.map) {
      const actionText = fenceActions.get(firstLine0 + t.map[0]);
      if (!actionText) continue;
      const action = readAction(actionText.words);
      if (action.warning) report('warning', actionText.line + 1, actionText.column, action.warning);
      const lang = t.info.trim().split(/\s+/)[0] ?? '';
      const block = codeBlock(nextId(), lang, t.content.replace(/\n$/, ''), action, 'inline', firstLine0 + t.map[0] + 1);
      t.attrSet('data-labdeck-block', block.id);
      found.push(block);
      continue;
    }
    if (t.type !== 'inline' || !t.children) continue;
    t.children.forEach((child, i) => {
      const next = t.children?.[i + 1];
      if (child.type !== 'code_inline' || next?.type !== 'text') return;
      const m = /^\{\{([^}]*)\}\}/.exec(next.content);
      if (!m) return;
      next.content = next.content.slice(m[0].length);
      const action = readAction(m[1] ?? '');
      const { line, column } = findAction(lines, `\`${child.content}\`${m[0]}`, firstLine0 + (t.map?.[0] ?? 0), firstLine0 + (t.map?.[1] ?? 1));
      if (action.warning) report('warning', line, column, action.warning);
      if (!action.runnable && action.copy) return;
      if (!action.runnable) {
        child.attrSet('data-labdeck-copy', 'false');
        return;
      }
      const block = codeBlock(nextId(), '', child.content, action, 'inline', line);
      child.attrSet('data-labdeck-block', block.id);
      found.push(block);
    });
  }
  return found;
}

/** 1-based position of `written` (a code span and its action) in lines [from, to), or the first line's start. */
function findAction(lines: readonly string[], written: string, from: number, to: number): { line: number; column: number } {
  for (let l = from; l < to; l++) {
    const at = (lines[l] ?? '').indexOf(written);
    if (at >= 0) return { line: l + 1, column: at + 1 };
  }
  return { line: from + 1, column: 1 };
}

export function codeBlock(id: string, lang: string, content: string, action: Action, display: CodeBlock['display'], line: number): CodeBlock {
  return {
    kind: 'code',
    id,
    lang,
    attrs: [],
    code: content,
    html: highlight(content, lang),
    runnable: action.runnable,
    run: content,
    interrupt: action.interrupt,
    copy: action.copy,
    display,
    lineNumbers: false,
    line,
  };
}
