/**
 * What makes a step teach: a check (a script run out of band; exit 0 passes), hints revealed one at a
 * time, a solution typed visibly into the terminal, a setup script per step; and per lab a setup
 * script (when the sandbox is created), a reset script and `requireCheck`. In a presenterm deck they
 * are written in the `<!-- labdeck` comment (metadata.ts reads it); a Killercoda scenario gives them
 * in `index.json` (killercoda.ts). Both end up here, in the model's two halves: what the attendee may
 * see (common/lab-model.ts `Step`) and the scripts that stay on the server (`LabScripts`).
 */
import { z } from 'zod';
import type { LabScript, LabScripts, Step, StepScripts } from '../../common/lab-model.js';
import type { Report } from './diagnostics.js';
import type { PositionedYaml } from './yaml-positions.js';

/** Seconds a script may run when the author gives no `timeout`: a check answers fast; setup may create a cluster. */
export const DEFAULT_TIMEOUT = { check: 15, stepSetup: 300, labSetup: 600, reset: 120 } as const;
/** No script may run longer than this, whatever the author asks. */
export const MAX_TIMEOUT = 3600;
/** Re-checking more often than this would load every sandbox for nothing. */
export const MIN_RECHECK = 2;

/** A step's teaching parts, whichever format they come from. */
export interface StepTeach {
  check?: LabScript;
  recheckSeconds?: number;
  /** Rendered HTML, in order. */
  hints: string[];
  solution?: string;
  setup?: LabScript;
  typeOnEnter?: string;
}

/** A lab's own scripts and settings. */
export interface LabTeach {
  setup?: LabScript;
  reset?: LabScript;
  requireCheck?: boolean;
}

const timeout = z.number().int().min(1).max(MAX_TIMEOUT);
const scriptText = z.string().refine((s) => s.trim() !== '', 'must not be empty');
/** A script is its text, or a mapping with `script:` and its settings. */
const asMapping = (v: unknown) => (typeof v === 'string' ? { script: v } : v);
const scriptSchema = z.preprocess(asMapping, z.object({ script: scriptText, timeout: timeout.optional() }).strict());
const checkSchema = z.preprocess(
  asMapping,
  z.object({ script: scriptText, timeout: timeout.optional(), every: z.number().int().min(MIN_RECHECK).max(MAX_TIMEOUT).optional() }).strict(),
);
const stepSchema = z
  .object({
    check: checkSchema.optional(),
    hints: z.union([scriptText, z.array(scriptText).min(1)]).optional(),
    solution: scriptText.optional(),
    setup: scriptSchema.optional(),
  })
  .strict();
const labSchema = z
  .object({ setup: scriptSchema.optional(), reset: scriptSchema.optional(), requireCheck: z.boolean().optional() })
  .strict();

/** The keys of a `<!-- labdeck` comment this file reads (metadata.ts reads `tools`). */
export const TEACH_KEYS = ['step', 'setup', 'reset', 'requireCheck'] as const;

/** Renders a hint's markdown, written from 0-based deck line `line0` on, to the HTML attendees see. */
export type RenderHint = (markdown: string, line0: number) => string;

/**
 * The teaching keys of one metadata comment. Invalid values are errors at their line and column: a
 * check that silently disappeared would leave attendees stuck on a step that `requireCheck` guards.
 */
export function readTeach(
  value: Record<string, unknown>,
  yaml: PositionedYaml,
  file: string,
  report: Report,
  renderHint: RenderHint,
): { lab: LabTeach; step?: StepTeach } {
  const at = (path: (string | number)[]) => {
    for (let n = path.length; n > 0; n--) {
      const pos = yaml.nodePos(path.slice(0, n));
      if (pos) return pos;
    }
    return yaml.start;
  };
  const fail = (error: z.ZodError, base: string[], what: string) => {
    for (const issue of error.issues) {
      const path = [...base, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')];
      const { line, column } = at(issue.code === 'unrecognized_keys' ? [...path, issue.keys[0] ?? ''] : path);
      report('error', line, column, `labdeck ${what}${path.length ? ` ${path.join('.')}` : ''}: ${issueMessage(issue)}`);
    }
  };
  const script = (raw: { script: string; timeout?: number | undefined } | undefined, path: string[], fallback: number): LabScript | undefined => {
    if (raw === undefined) return undefined;
    return { source: raw.script, timeoutSeconds: raw.timeout ?? fallback, file, line: at([...path, 'script']).line };
  };

  const labPart = Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'step' && k !== 'tools'));
  const lab: LabTeach = {};
  const parsedLab = labSchema.safeParse(labPart);
  if (parsedLab.success) {
    const setup = script(parsedLab.data.setup, ['setup'], DEFAULT_TIMEOUT.labSetup);
    const reset = script(parsedLab.data.reset, ['reset'], DEFAULT_TIMEOUT.reset);
    if (setup) lab.setup = setup;
    if (reset) lab.reset = reset;
    if (parsedLab.data.requireCheck !== undefined) lab.requireCheck = parsedLab.data.requireCheck;
  } else {
    fail(parsedLab.error, [], 'lab setting');
  }

  if (value.step === undefined) return { lab };
  const parsedStep = stepSchema.safeParse(value.step);
  if (!parsedStep.success) {
    fail(parsedStep.error, ['step'], 'step');
    return { lab };
  }
  const { check, hints, solution, setup } = parsedStep.data;
  const step: StepTeach = { hints: [] };
  const checkScript = script(check, ['step', 'check'], DEFAULT_TIMEOUT.check);
  if (checkScript) step.check = checkScript;
  if (check?.every !== undefined) step.recheckSeconds = check.every;
  const hintList = hints === undefined ? [] : typeof hints === 'string' ? [hints] : hints;
  step.hints = hintList.map((h, i) => renderHint(h, at(typeof hints === 'string' ? ['step', 'hints'] : ['step', 'hints', i]).line - 1));
  if (solution !== undefined) step.solution = solution.replace(/\n+$/, '');
  const setupScript = script(setup, ['step', 'setup'], DEFAULT_TIMEOUT.stepSetup);
  if (setupScript) step.setup = setupScript;
  return { lab, step };
}

/** The attendee's half of a step's teaching parts: never a script's text. */
export function teachFields(teach: StepTeach | undefined): Pick<Step, 'hasCheck' | 'recheckSeconds' | 'hints' | 'solution' | 'typeOnEnter' | 'hasSetup'> {
  return {
    hasCheck: teach?.check !== undefined,
    ...(teach?.check && teach.recheckSeconds !== undefined ? { recheckSeconds: teach.recheckSeconds } : {}),
    hints: teach?.hints ?? [],
    ...(teach?.solution !== undefined ? { solution: teach.solution } : {}),
    ...(teach?.typeOnEnter !== undefined ? { typeOnEnter: teach.typeOnEnter } : {}),
    hasSetup: teach?.setup !== undefined,
  };
}

/** The server's half: the step's scripts. */
export function stepScripts(index: number, teach: StepTeach | undefined): StepScripts {
  return {
    index,
    ...(teach?.check ? { check: teach.check } : {}),
    ...(teach?.setup ? { setup: teach.setup } : {}),
  };
}

/** The lab's scripts, with one `StepScripts` per step. */
export function labScripts(lab: LabTeach, steps: StepScripts[], assets: LabScripts['assets'] = []): LabScripts {
  return {
    ...(lab.setup ? { setup: lab.setup } : {}),
    ...(lab.reset ? { reset: lab.reset } : {}),
    assets,
    steps,
  };
}

/** zod's message, with the unknown keys named (its default only says "Unrecognized key(s)"). */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}
