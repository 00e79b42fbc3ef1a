/**
 * Test helpers for the parser's unit tests (*.test.ts beside each module): whole decks parsed the
 * way the server does, each with the exact `line:column severity` of every diagnostic it must give.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabDiagnostic, ParsedLab } from '../../common/lab-model.js';
import { parseDeck, type ParseDeckResult } from './parse.js';

export const DECK = { id: 'demo', file: 'demo/demo.md', labDir: '/labs/demo' };

export function parse(text: string): ParseDeckResult {
  return parseDeck(text, DECK);
}

export function mustParse(text: string): ParsedLab {
  const { parsed, diagnostics } = parse(text);
  assert.ok(parsed, `expected the deck to load, got ${JSON.stringify(diagnostics)}`);
  return parsed;
}

/** `line:column severity` — enough to pin each diagnostic down exactly. */
export function brief(diagnostics: LabDiagnostic[]): string[] {
  return diagnostics.map((d) => `${d.line}:${d.column} ${d.severity}`);
}

export interface DeckCase {
  name: string;
  deck: string;
  /** Diagnostics as `line:column severity`, in order. */
  diagnostics: string[];
  check?: (lab: ParsedLab) => void;
  /** Substring of the one error's message, for decks that must not load. */
  error?: string;
}

/** One test per case: the diagnostics match exactly, then the deck fails with `error` or passes `check`. */
export function testDecks(prefix: string, cases: DeckCase[]): void {
  for (const c of cases) {
    test(`${prefix}: ${c.name}`, () => {
      const { parsed, diagnostics } = parse(c.deck);
      assert.deepEqual(brief(diagnostics), c.diagnostics, JSON.stringify(diagnostics, null, 1));
      assert.ok(diagnostics.every((d) => d.file === DECK.file));
      if (c.error) {
        assert.equal(parsed, undefined);
        assert.ok(
          diagnostics.some((d) => d.severity === 'error' && d.message.includes(c.error ?? '')),
          JSON.stringify(diagnostics),
        );
        return;
      }
      assert.ok(parsed, JSON.stringify(diagnostics));
      assert.deepEqual(parsed.lab.warnings, diagnostics);
      c.check?.(parsed);
    });
  }
}
