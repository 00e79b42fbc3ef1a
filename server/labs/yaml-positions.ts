/**
 * YAML embedded in a deck (the front matter, a `<!-- labdeck -->` comment), parsed so that every
 * problem can be reported at its line and column in the deck file rather than in the snippet.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { SourcePos } from '../../common/lab-model.js';
import type { Report } from './diagnostics.js';

/** A YAML snippet that parsed, with the deck positions of its parts. */
export interface PositionedYaml {
  value: unknown;
  /** Where the snippet's first character is (an empty snippet has no other). */
  start: SourcePos;
  /** Where a top-level key is written; the snippet's start when it is absent. */
  keyPos(key: string): SourcePos;
  /** Where the node at `path` is written (`['tools', 1, 'name']`), if it exists. */
  nodePos(path: (string | number)[]): SourcePos | undefined;
}

/**
 * Parses `text`, whose first line is the deck's 0-based line `firstLine0`. Invalid YAML reports one
 * error per problem, each as `<what> is not valid YAML: <reason>` at its position, and returns
 * undefined.
 */
export function parseYamlAt(
  text: string,
  firstLine0: number,
  what: string,
  report: Report,
): PositionedYaml | undefined {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const at = (offset: number | undefined): SourcePos => {
    // LineCounter's lines and columns are 1-based.
    const pos = counter.linePos(offset ?? 0);
    return { line: firstLine0 + pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const { line, column } = at(err.pos[0]);
      report('error', line, column, `${what} is not valid YAML: ${shortYamlMessage(err.message)}`);
    }
    return undefined;
  }
  return {
    value: doc.toJS(),
    start: at(0),
    keyPos(key) {
      if (!isMap(doc.contents)) return at(undefined);
      const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key);
      return at(isScalar(pair?.key) ? pair.key.range?.[0] : undefined);
    },
    nodePos(path) {
      const node: unknown = doc.getIn(path, true);
      const offset = isScalar(node) || isMap(node) || isSeq(node) ? node.range?.[0] : undefined;
      return offset === undefined ? undefined : at(offset);
    },
  };
}

/** A YAML mapping, as `toJS()` gives it. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** yaml's messages end with " at line N, column M:" and a code excerpt; the diagnostic has both. */
function shortYamlMessage(message: string): string {
  return message.split(' at line ')[0]?.trim() ?? message;
}
