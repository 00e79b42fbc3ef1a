/**
 * What makes a step teach, at run time (issue 11; docs/lab-format.md "What labdeck does with it"):
 * checks, lab and step setup, the lab's reset script, and non-shell `+exec` snippets. Everything runs
 * out of band in the attendee's own sandbox, the one the caller's session holds (`sandboxOf`): the
 * cookie decides the sandbox, so no request can reach another attendee's. Nothing here touches the
 * terminal; typing a solution or a step's `typeOnEnter` goes through the session's Run path instead.
 */
import path from 'node:path';
import type { CodeBlock, Lab, LabScript, LabScripts, Snippet } from '../../common/lab-model.js';
import type { CheckAnswer, SetupAnswer } from '../../common/api.js';
import type { Sandbox } from '../sandbox/driver.js';
import type { Logger } from '../log.js';
import { TeachError } from './errors.js';
import { GATE_LIMITS, ScriptGate, type GateLimits } from './gate.js';
import { copyAsset, readAsset } from './assets.js';
import { runCancellable } from './cancellable.js';
import { runScript, type ScriptOutcome } from './run-script.js';
import { snippetScript } from './snippet-script.js';

/** Where passed checks are recorded (the store's `step_passes`). */
export interface PassStore {
  recordPass(attendee: string, labId: string, step: number): void;
  passedSteps(attendee: string, labId: string): number[];
}

export interface TeachDeps {
  labs: {
    readonly dir: string;
    lab(id: string): Lab | undefined;
    scripts(id: string): LabScripts | undefined;
    findBlock(labId: string, blockId: string): CodeBlock | undefined;
  };
  /** The sandbox the attendee's session holds now, or null (no session, or not started yet). */
  sandboxOf(attendee: string): Sandbox | null;
  store: PassStore;
  log: Logger;
  limits?: Partial<GateLimits>;
}

/** A lab setup's outcome, and what it left out (shown to the attendee, not a failure). */
interface LabSetupOutcome extends ScriptOutcome {
  notes: string[];
}

/** How a snippet run ended. */
export interface SnippetOutcome {
  ok: boolean;
  /** The program it needs is not on the sandbox's PATH; nothing ran. */
  missingTool?: string;
  timedOut: boolean;
  /** Stopped because the request went away (or it never started for that reason). */
  cancelled: boolean;
  code: number;
}

/** How long a snippet may run: presenterm has no limit, a shared server needs one. */
export const SNIPPET_TIMEOUT_SECONDS = 60;
/** Sandboxes whose lab setup is remembered; the oldest are forgotten beyond this. */
const MAX_SETUP_MEMO = 10_000;

export class TeachRuntime {
  private readonly gate: ScriptGate;
  /** `sandbox id \0 lab id` → the lab setup run (or running) in that sandbox. Failed runs are forgotten. */
  private readonly labSetups = new Map<string, Promise<LabSetupOutcome>>();

  constructor(private readonly deps: TeachDeps) {
    this.gate = new ScriptGate({ ...GATE_LIMITS, ...deps.limits });
  }

  /** Run step `step`'s check in the attendee's sandbox; a pass is recorded with the time. */
  async check(attendee: string, labId: string, step: number): Promise<CheckAnswer> {
    const { scripts } = this.labOf(labId, step);
    const check = scripts.steps[step]?.check;
    if (!check) throw new TeachError(404, `step ${step} of lab ${labId} has no check`);
    const sandbox = this.sandbox(attendee);
    const outcome = await this.gate.run(attendee, async () => {
      await this.labSetups.get(setupKey(sandbox, labId))?.catch(() => undefined);
      return runScript(sandbox, check.source, check.timeoutSeconds);
    });
    if (outcome.ok) this.deps.store.recordPass(attendee, labId, step);
    const message = outcome.timedOut
      ? `The check timed out after ${check.timeoutSeconds} s and was stopped.${outcome.output ? `\n${outcome.output}` : ''}`
      : outcome.output;
    return { passed: outcome.ok, message };
  }

  /** The steps of a lab this attendee has passed (for `requireCheck` after a reload). */
  passed(attendee: string, labId: string): number[] {
    this.labOf(labId);
    return this.deps.store.passedSteps(attendee, labId);
  }

  /**
   * The lab's setup, once per sandbox (Killercoda assets first), then, with `step`, that step's
   * setup. Called by the page when its terminal is ready and whenever a step is entered: the lab
   * setup runs at the attendee's first use of a sandbox rather than at its creation, because a warm
   * pool sandbox does not know yet which lab it will serve.
   */
  async setup(attendee: string, labId: string, step?: number): Promise<SetupAnswer> {
    const { lab, scripts } = this.labOf(labId, step);
    const sandbox = this.sandbox(attendee);
    const ran: SetupAnswer['ran'] = [];
    const notes: string[] = [];
    if (scripts.setup || scripts.assets.length > 0) {
      const key = setupKey(sandbox, labId);
      let pending = this.labSetups.get(key);
      if (!pending) {
        pending = this.gate.run(attendee, () => this.labSetup(attendee, lab, scripts, sandbox));
        this.remember(key, pending);
        ran.push('lab');
      }
      const outcome = await pending.catch((err: unknown) => {
        this.labSetups.delete(key);
        throw err;
      });
      if (!outcome.ok) {
        this.labSetups.delete(key);
        return { ok: false, ran, message: describe('The lab setup', scripts.setup?.timeoutSeconds, outcome) };
      }
      // What the lab setup left out (an asset it could not copy) is said once, when it ran.
      if (ran.includes('lab')) notes.push(...outcome.notes);
    }
    const stepSetup = step === undefined ? undefined : scripts.steps[step]?.setup;
    if (stepSetup) {
      ran.push('step');
      const outcome = await this.gate.run(attendee, () => runScript(sandbox, stepSetup.source, stepSetup.timeoutSeconds));
      this.log('step setup', attendee, lab, stepSetup, outcome);
      if (!outcome.ok) return { ok: false, ran, message: describe('The step setup', stepSetup.timeoutSeconds, outcome) };
    }
    return { ok: true, ran, message: notes.join('\n') };
  }

  /**
   * The lab's reset script, before a reset destroys the sandbox (e.g. `kind delete cluster`, whose
   * containers live outside the sandbox with a nested engine's host network). Never throws: a failed
   * reset script is logged, and the reset goes on.
   */
  async beforeReset(attendee: string, labId: string | null, sandbox: Sandbox | null): Promise<void> {
    if (!labId || !sandbox) return;
    const lab = this.deps.labs.lab(labId);
    const reset = this.deps.labs.scripts(labId)?.reset;
    if (!lab || !reset) return;
    const outcome = await runScript(sandbox, reset.source, reset.timeoutSeconds).catch(
      (err: unknown): ScriptOutcome => ({ ok: false, code: -1, timedOut: false, output: String(err) }),
    );
    this.log('reset script', attendee, lab, reset, outcome);
  }

  /** Resolve a snippet request before any output is sent, so a bad one gets a plain HTTP error. */
  snippetTarget(attendee: string, labId: string, blockId: string): { sandbox: Sandbox; snippet: Snippet } {
    this.labOf(labId);
    const snippet = this.deps.labs.findBlock(labId, blockId)?.snippet;
    if (!snippet) throw new TeachError(404, `lab ${labId} has no snippet ${blockId}`);
    return { sandbox: this.sandbox(attendee), snippet };
  }

  /**
   * Run a snippet the way presenterm does: its source (hidden lines included) written to its file in
   * a fresh directory, its commands run there in order. Output goes to `onOutput` as it comes. When
   * `signal` aborts (the attendee's page went away), the snippet is killed with everything it started,
   * or, if it is still waiting for a slot, never starts.
   */
  async runSnippet(
    attendee: string,
    target: { sandbox: Sandbox; snippet: Snippet },
    onOutput: (chunk: string) => void,
    signal?: AbortSignal,
  ): Promise<SnippetOutcome> {
    const { sandbox, snippet } = target;
    const cancelled: SnippetOutcome = { ok: false, timedOut: false, cancelled: true, code: 130 };
    return this.gate.run(attendee, async () => {
      if (signal?.aborted) return cancelled;
      const probe = await sandbox.exec(['sh', '-c', 'command -v "$1" >/dev/null', 'sh', snippet.tool], { timeoutMs: 10_000 });
      if (probe.code !== 0) return { ok: false, missingTool: snippet.tool, timedOut: false, cancelled: false, code: 127 };
      const started = Date.now();
      const r = await runCancellable(sandbox, SNIPPET_TIMEOUT_SECONDS, snippetScript(snippet), [snippet.source], {
        onOutput,
        ...(signal ? { signal } : {}),
      });
      if (r.cancelled) {
        this.deps.log.info('snippet cancelled: the request went away', { attendee, executor: snippet.executor, code: r.code });
        return cancelled;
      }
      const timedOut = r.timedOut || (r.code === 137 && Date.now() - started >= SNIPPET_TIMEOUT_SECONDS * 1000);
      return { ok: (r.code === 0) !== snippet.expectFailure && !timedOut, timedOut, cancelled: false, code: r.code };
    });
  }

  private async labSetup(attendee: string, lab: Lab, scripts: LabScripts, sandbox: Sandbox): Promise<LabSetupOutcome> {
    const notes: string[] = [];
    const labDir = path.dirname(path.join(this.deps.labs.dir, lab.source));
    for (const asset of scripts.assets) {
      // Read now, through the confinement rule: the file may have changed since the lab loaded (issue 17 §1).
      const data = await readAsset(labDir, asset.file);
      if (typeof data === 'string') return { ok: false, code: -1, timedOut: false, output: `asset ${asset.file}: ${data}`, notes };
      const copy = await copyAsset(sandbox, data, asset.file, asset.target, asset.chmod);
      if (copy.kind === 'failed') return { ...copy.outcome, output: `asset ${asset.file}: ${copy.outcome.output}`, notes };
      if (copy.kind === 'skipped') {
        notes.push(`${path.posix.basename(asset.file)} was not copied to ${asset.target}: ${copy.reason}. This lab expects a sandbox whose user is root (the podman driver's); steps that use it may fail.`);
        this.deps.log.warn('asset not copied', { attendee, lab: lab.id, file: asset.file, target: asset.target, reason: copy.reason });
      }
    }
    if (!scripts.setup) return { ok: true, code: 0, timedOut: false, output: '', notes };
    const outcome = await runScript(sandbox, scripts.setup.source, scripts.setup.timeoutSeconds);
    this.log('lab setup', attendee, lab, scripts.setup, outcome);
    return { ...outcome, notes };
  }

  private labOf(labId: string, step?: number): { lab: Lab; scripts: LabScripts } {
    const lab = this.deps.labs.lab(labId);
    const scripts = this.deps.labs.scripts(labId);
    if (!lab || !scripts) throw new TeachError(404, `no lab named ${labId}`);
    if (step !== undefined && !lab.steps[step]) throw new TeachError(404, `lab ${labId} has no step ${step}`);
    return { lab, scripts };
  }

  private sandbox(attendee: string): Sandbox {
    const sandbox = this.deps.sandboxOf(attendee);
    if (!sandbox) throw new TeachError(409, 'your sandbox is not running yet; open the terminal first');
    return sandbox;
  }

  private remember(key: string, run: Promise<LabSetupOutcome>): void {
    this.labSetups.set(key, run);
    if (this.labSetups.size > MAX_SETUP_MEMO) this.labSetups.delete(this.labSetups.keys().next().value!);
  }

  private log(what: string, attendee: string, lab: Lab, script: LabScript, outcome: ScriptOutcome): void {
    const fields = { attendee, lab: lab.id, at: `${script.file}:${script.line}`, code: outcome.code, timedOut: outcome.timedOut };
    if (outcome.ok) this.deps.log.info(`${what} passed`, fields);
    else this.deps.log.warn(`${what} failed`, { ...fields, output: outcome.output.slice(-500) });
  }
}

function setupKey(sandbox: Sandbox, labId: string): string {
  return `${sandbox.id}\u0000${labId}`;
}

function describe(what: string, timeoutSeconds: number | undefined, outcome: ScriptOutcome): string {
  const head = outcome.timedOut ? `${what} timed out after ${timeoutSeconds ?? '?'} s and was stopped.` : `${what} failed (exit status ${outcome.code}).`;
  return outcome.output ? `${head}\n${outcome.output}` : head;
}
