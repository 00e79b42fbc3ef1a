/**
 * The files a scenario names in its index.json (pages, scripts, assets), read through the one
 * confinement rule (../confine.ts, issue 17 §1): inside the scenario's folder, symlinks resolved, never
 * out of it. A file that breaks the rule, is missing or too large is an error at the place in
 * index.json that names it, so the scenario fails to load with `file:line` and the other labs load.
 */
import path from 'node:path';
import type { LabDiagnostic, LabScript } from '../../../common/lab-model.js';
import { confinedFile, LabFileError, readLabText } from '../confine.js';
import { Diagnostics, type Report } from '../diagnostics.js';
import type { PositionedYaml } from '../yaml-positions.js';
import { nearest, type JsonPath } from './schema.js';

/** A scenario's page or script larger than this is refused: it is read whole, and sent to every attendee. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** How the scenario folder is named in messages (the rule's own words say "the lab folder"). */
export const SCENARIO_FOLDER = 'the scenario folder';

export interface ScenarioPlace {
  id: string;
  /** Absolute folder of the scenario. */
  dir: string;
  /** The folder relative to LABS_DIR, as diagnostics show it. */
  relDir: string;
}

/** One scenario being imported: where it is, its index.json's positions, and every file's diagnostics. */
export class ScenarioFiles {
  /** The diagnostics of the files other than index.json (pages, labdeck.yaml), in the order they were read. */
  private readonly others: Diagnostics[] = [];

  constructor(
    readonly place: ScenarioPlace,
    private readonly yaml: PositionedYaml,
    /** Reports into index.json. */
    readonly report: Report,
  ) {}

  /** `file` as diagnostics show it: relative to LABS_DIR. */
  rel(file: string): string {
    return path.posix.join(this.place.relDir, file);
  }

  at(p: JsonPath): { line: number; column: number } {
    return nearest(this.yaml, p);
  }

  warn(p: JsonPath, message: string): void {
    const { line, column } = this.at(p);
    this.report('warning', line, column, message);
  }

  error(p: JsonPath, message: string): void {
    const { line, column } = this.at(p);
    this.report('error', line, column, message);
  }

  /** A new file's diagnostics (a page, labdeck.yaml), listed after index.json's. */
  diagnosticsOf(file: string): Diagnostics {
    const d = new Diagnostics(this.rel(file));
    this.others.push(d);
    return d;
  }

  otherDiagnostics(): LabDiagnostic[] {
    return this.others.flatMap((d) => d.sorted());
  }

  /** A file's text, or undefined with an error at `p` in index.json. */
  async text(file: string, p: JsonPath, maxBytes = MAX_FILE_BYTES): Promise<{ text: string; mode: number } | undefined> {
    try {
      return await readLabText(this.place.dir, file, maxBytes);
    } catch (err) {
      if (!(err instanceof LabFileError)) throw err;
      this.error(p, err.describe(SCENARIO_FOLDER));
      return undefined;
    }
  }

  /** A file's size in bytes (an asset: read again when copied), or undefined with an error at `p`. */
  async size(file: string, p: JsonPath, maxBytes: number): Promise<number | undefined> {
    try {
      const { handle, size } = await confinedFile(this.place.dir, file);
      await handle.close();
      if (size > maxBytes) throw new LabFileError('too-large', file, `is larger than ${maxBytes / 1024} KiB`);
      return size;
    } catch (err) {
      if (!(err instanceof LabFileError)) throw err;
      this.error(p, err.describe(SCENARIO_FOLDER));
      return undefined;
    }
  }

  /** A script's text; Killercoda runs scripts as executables, so a missing execute bit is a warning. */
  async script(file: string | undefined, p: JsonPath, timeoutSeconds: number): Promise<LabScript | undefined> {
    if (file === undefined) return undefined;
    const read = await this.text(file, p);
    if (!read) return undefined;
    if ((read.mode & 0o111) === 0) this.warn(p, `script "${file}" is not executable (chmod +x ${file}); labdeck runs it with bash anyway`);
    return { source: read.text, timeoutSeconds, file: this.rel(file), line: 1 };
  }
}
