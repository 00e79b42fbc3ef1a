/**
 * Finds the labs in LABS_DIR and parses each one. One broken lab never stops the others: it becomes
 * a LabLoadFailure carrying `file:line` diagnostics, which the catalogue lists and the log prints.
 *
 * Layout: every subfolder is a lab (id = folder name). A folder holding an `index.json` is a
 * Killercoda/Katacoda scenario (killercoda.ts); otherwise its deck is its only `.md` file, or, when
 * it has several, `lab.md` or `<folder>.md`. Every `.md` file directly in LABS_DIR is a lab too
 * (id = file name without `.md`). Images of a folder lab resolve inside its folder.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { LabDiagnostic, LabLoadFailure, ParsedLab } from '../../common/lab-model.js';
import { readLabText } from './confine.js';
import { Diagnostics } from './diagnostics.js';
import { confineImages } from './images.js';
import { importScenario } from './killercoda.js';
import { parseDeck, type ParseDeckResult } from './parse.js';

/** A deck larger than this is refused: it is read whole, and its steps are sent to every attendee. */
export const MAX_DECK_BYTES = 4 * 1024 * 1024;

export interface LoadLabsResult {
  labs: Map<string, ParsedLab>;
  failures: LabLoadFailure[];
}

/** A lab found on disk, before parsing. */
export interface LabSource {
  id: string;
  format: 'presenterm' | 'killercoda';
  /** Absolute path of the deck (or of the scenario's index.json). */
  deck: string;
  /** Deck path relative to LABS_DIR, as diagnostics show it. */
  file: string;
  /** Absolute folder whose files the deck may show as images. */
  labDir: string;
}

/** `path:line:column: severity: message`, the form editors and CI logs turn into links. */
export function formatDiagnostic(d: LabDiagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
}

export interface LoadLabsOptions {
  /** Where each diagnostic line goes; defaults to stderr. Pass `() => {}` to stay quiet. */
  log?: (line: string) => void;
}

export async function loadLabs(labsDir: string, options: LoadLabsOptions = {}): Promise<LoadLabsResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const labs = new Map<string, ParsedLab>();
  const failures: LabLoadFailure[] = [];
  const { sources, problems } = await findLabs(labsDir);
  failures.push(...problems);

  for (const src of sources) {
    if (labs.has(src.id) || failures.some((f) => f.id === src.id)) {
      failures.push(failure(src.id, src.file, `another lab already has the id "${src.id}"; this one is skipped`));
      continue;
    }
    let result: ParseDeckResult;
    try {
      result =
        src.format === 'killercoda'
          ? await importScenario({ id: src.id, dir: src.labDir, relDir: path.posix.dirname(src.file) })
          : await loadDeck(src);
    } catch (err) {
      failures.push(failure(src.id, src.file, `cannot read the lab: ${(err as Error).message}`));
      continue;
    }
    const { parsed, diagnostics } = result;
    if (parsed) labs.set(src.id, parsed);
    else failures.push({ id: src.id, diagnostics });
  }

  for (const lab of labs.values()) for (const d of lab.lab.warnings) log(formatDiagnostic(d));
  for (const f of failures) for (const d of f.diagnostics) log(formatDiagnostic(d));
  return { labs, failures };
}

/**
 * A presenterm deck: read, parsed, and every image it shows held to the confinement rule (an image
 * that leads out of the lab is an error: the lab does not load).
 */
async function loadDeck(src: LabSource): Promise<ParseDeckResult> {
  const { text } = await readLabText(src.labDir, path.relative(src.labDir, src.deck), MAX_DECK_BYTES);
  const result = parseDeck(text, { id: src.id, file: src.file, labDir: src.labDir });
  const images = new Diagnostics(src.file);
  await confineImages(src.labDir, result.images ?? [], images.report);
  if (!images.hasErrors()) return result;
  const diagnostics = [...result.diagnostics, ...images.sorted()].sort((a, b) => a.line - b.line || a.column - b.column);
  return { diagnostics };
}

/** Lists the decks under labsDir; a folder whose deck cannot be chosen is reported, not thrown. */
export async function findLabs(labsDir: string): Promise<{ sources: LabSource[]; problems: LabLoadFailure[] }> {
  const root = path.resolve(labsDir);
  const sources: LabSource[] = [];
  const problems: LabLoadFailure[] = [];
  const entries = await readdir(root, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isFile() && entry.name.endsWith('.md')) {
      if (entry.name.toLowerCase() === 'readme.md') continue;
      const id = entry.name.slice(0, -'.md'.length);
      sources.push({ id, format: 'presenterm', deck: path.join(root, entry.name), file: entry.name, labDir: root });
      continue;
    }
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    const files = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile());
    if (files.some((e) => e.name === 'index.json')) {
      const file = `${entry.name}/index.json`;
      sources.push({ id: entry.name, format: 'killercoda', deck: path.join(dir, 'index.json'), file, labDir: dir });
      continue;
    }
    const mds = files
      .filter((e) => e.name.endsWith('.md'))
      .map((e) => e.name)
      .sort();
    const deck = chooseDeck(entry.name, mds);
    if (!deck) {
      const why =
        mds.length === 0
          ? 'has no .md deck'
          : `has several .md files (${mds.join(', ')}); name the deck lab.md or ${entry.name}.md`;
      problems.push(failure(entry.name, entry.name, `lab folder ${why}`));
      continue;
    }
    sources.push({ id: entry.name, format: 'presenterm', deck: path.join(dir, deck), file: `${entry.name}/${deck}`, labDir: dir });
  }
  return { sources, problems };
}

function chooseDeck(folder: string, mds: string[]): string | undefined {
  if (mds.length === 1) return mds[0];
  return mds.find((m) => m === 'lab.md') ?? mds.find((m) => m === `${folder}.md`);
}

function failure(id: string, file: string, message: string): LabLoadFailure {
  return { id, diagnostics: [{ severity: 'error', file, line: 1, column: 1, message }] };
}
