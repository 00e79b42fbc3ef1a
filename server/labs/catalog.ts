/**
 * The labs this server serves: loaded once at start from LABS_DIR (loader.ts), looked up by the API
 * and by sessions (to type a block on Run, to run a check).
 */
import {
  codeBlocks,
  type CodeBlock,
  type Lab,
  type LabLoadFailure,
  type LabScripts,
  type LabSummary,
  type ParsedLab,
  type StepNotes,
} from '../../common/lab-model.js';
import { loadLabs } from './loader.js';

export class LabCatalog {
  private labs = new Map<string, ParsedLab>();
  private blocks = new Map<string, CodeBlock>();
  failures: LabLoadFailure[] = [];

  constructor(readonly dir: string) {}

  async load(): Promise<void> {
    const { labs, failures } = await loadLabs(this.dir);
    const blocks = new Map<string, CodeBlock>();
    for (const { lab } of labs.values()) {
      for (const b of lab.steps.flatMap((s) => codeBlocks(s.blocks))) blocks.set(`${lab.id}\u0000${b.id}`, b);
    }
    this.labs = labs;
    this.blocks = blocks;
    this.failures = failures;
  }

  summaries(): LabSummary[] {
    return [...this.labs.values()]
      .map(({ lab }) => ({ id: lab.id, title: lab.title, steps: lab.steps.length }))
      .sort((a, b) => a.title.localeCompare(b.title));
  }

  lab(id: string): Lab | undefined {
    return this.labs.get(id)?.lab;
  }

  notes(id: string): StepNotes[] | undefined {
    return this.labs.get(id)?.notes;
  }

  /**
   * The scripts labdeck runs for a lab (checks, setup, reset, assets): server-only, never part of a
   * response to the browser. `scripts(lab)?.steps[step]?.check` is what POST /api/check runs.
   */
  scripts(id: string): LabScripts | undefined {
    return this.labs.get(id)?.scripts;
  }

  findBlock(labId: string, blockId: string): CodeBlock | undefined {
    return this.blocks.get(`${labId}\u0000${blockId}`);
  }

  get size(): number {
    return this.labs.size;
  }
}
