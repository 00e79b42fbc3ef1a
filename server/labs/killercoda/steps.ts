/**
 * A scenario's pages become steps: the intro, each of `details.steps`, the finish. `verify` is the
 * step's check, `background` (Katacoda `courseData`) its setup, `foreground` (Katacoda `code`) is
 * typed into the terminal when the step is entered; the intro's `background` is the lab's setup. A
 * page without text (and without foreground) is no step, though its scripts still count.
 */
import type { Block, Step, StepNotes } from '../../../common/lab-model.js';
import type { Report } from '../diagnostics.js';
import { confineImages, type ImageRef } from '../images.js';
import { DEFAULT_TIMEOUT, stepScripts, teachFields, type LabTeach, type StepTeach } from '../teach.js';
import type { ScenarioFiles } from './files.js';
import { readPage, renderAnswer } from './page.js';
import type { JsonPath, Page, Scenario } from './schema.js';

export interface ScenarioSteps {
  steps: Step[];
  notes: StepNotes[];
  scripts: ReturnType<typeof stepScripts>[];
  /** The lab-level settings the pages give (the intro's background: the lab setup). */
  lab: LabTeach;
  /** Where each step's problems are reported (its page), for the tools check. */
  reportOf: Map<Step, Report>;
}

export async function readSteps(data: Scenario, files: ScenarioFiles): Promise<ScenarioSteps> {
  const out: ScenarioSteps = { steps: [], notes: [], scripts: [], lab: {}, reportOf: new Map() };
  const pages: { page: Page; p: JsonPath; fallback: string }[] = [
    ...(data.details.intro ? [{ page: data.details.intro, p: ['details', 'intro'], fallback: 'Introduction' }] : []),
    ...data.details.steps.map((s, i) => ({ page: s, p: ['details', 'steps', i], fallback: `Step ${i + 1}` })),
    ...(data.details.finish ? [{ page: data.details.finish, p: ['details', 'finish'], fallback: 'Finish' }] : []),
  ];
  for (const { page: pg, p, fallback } of pages) {
    const intro = p[1] === 'intro';
    const background = await files.script(pg.background ?? pg.courseData, [...p, pg.background ? 'background' : 'courseData'], intro ? DEFAULT_TIMEOUT.labSetup : DEFAULT_TIMEOUT.stepSetup);
    const foreground = await files.script(pg.foreground ?? pg.code, [...p, pg.foreground ? 'foreground' : 'code'], DEFAULT_TIMEOUT.stepSetup);
    const verify = await files.script(pg.verify, [...p, 'verify'], DEFAULT_TIMEOUT.check);
    if (intro && background) out.lab.setup = background;
    if (!pg.text && !foreground) continue;
    const index = out.steps.length;
    const teach: StepTeach = { hints: [] };
    if (verify) teach.check = verify;
    if (background && !intro) teach.setup = background;
    if (foreground) teach.typeOnEnter = foreground.source.replace(/^#!.*\n/, '').replace(/\n+$/, '');
    let blocks: Block[] = [];
    let title = pg.title;
    const diagnostics = files.diagnosticsOf(pg.text ?? 'index.json');
    const images: ImageRef[] = [];
    const scope = { id: files.place.id, labDir: files.place.dir, images };
    if (pg.text) {
      const read = await files.text(pg.text, [...p, 'text']);
      if (read) {
        const page = readPage(read.text, index, scope, diagnostics.report);
        blocks = page.blocks;
        title ??= page.heading;
      }
    }
    if (pg.answer) {
      const read = await files.text(pg.answer, [...p, 'answer']);
      if (read) teach.hints.push(renderAnswer(read.text, scope, diagnostics.report));
    }
    await confineImages(files.place.dir, images, diagnostics.report);
    const code = blocks.flatMap((b) => (b.kind === 'code' ? [b] : []));
    const step: Step = {
      index,
      title: title ?? fallback,
      blocks,
      commands: code.filter((b) => b.runnable).map((b) => b.run),
      ...teachFields(teach),
      line: 1,
    };
    out.steps.push(step);
    out.reportOf.set(step, diagnostics.report);
    out.notes.push({ index, speakerNotes: [] });
    out.scripts.push(stepScripts(index, teach));
  }
  return out;
}
