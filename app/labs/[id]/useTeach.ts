'use client';
/**
 * The teaching side of a lab page (issue 11): passed checks (so `requireCheck` survives a reload),
 * the current step's check result and re-check polling, its setup progress, and typing a step's
 * `typeOnEnter` once when it is entered. docs/lab-format.md "What labdeck does with it".
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Lab } from '@/common/lab-model';
import { api as teachApi } from '@/app/lib/api';

export type CheckState = { kind: 'idle' } | { kind: 'running' } | { kind: 'done'; passed: boolean; message: string } | { kind: 'error'; message: string };
/** `done` may carry what the setup left out (e.g. an asset it could not copy): shown, not a failure. */
export type SetupState = { kind: 'idle' } | { kind: 'running' } | { kind: 'done'; message: string } | { kind: 'failed'; message: string };

export interface Teach {
  passed: ReadonlySet<number>;
  check: CheckState;
  setup: SetupState;
  runCheck: () => Promise<void>;
  typeSolution: () => Promise<string | null>;
  /** Next is held back: the lab requires a passing check on this step and it has none yet. */
  nextBlocked: boolean;
}

/** Re-checks stop after this many (an hour at `every: 10`): polling is bounded even if nobody looks. */
const MAX_RECHECKS = 360;

export function useTeach(lab: Lab, step: number | null, connected: boolean): Teach {
  const [passed, setPassed] = useState<ReadonlySet<number>>(new Set());
  const [check, setCheck] = useState<CheckState>({ kind: 'idle' });
  const [setup, setSetup] = useState<SetupState>({ kind: 'idle' });
  /** Bumped every time the terminal (re)connects: setup runs again on a new sandbox, e.g. after a reset. */
  const [episode, setEpisode] = useState(0);
  const typedFor = useRef<number | null>(null);
  const current = step == null ? undefined : lab.steps[step];

  useEffect(() => {
    if (connected) setEpisode((e) => e + 1);
  }, [connected]);

  useEffect(() => {
    let live = true;
    void teachApi.passed(lab.id).then((p) => live && setPassed(new Set(p)));
    return () => {
      live = false;
    };
  }, [lab.id]);

  // A new step: its check starts unknown, and its typeOnEnter may be typed again on a later entry.
  useEffect(() => {
    setCheck({ kind: 'idle' });
    typedFor.current = null;
  }, [step]);

  /** `quiet`: a re-check on its own; a refusal (a check still running, the server busy) is not shown. */
  const recheck = useCallback(
    async (quiet: boolean) => {
      if (step == null) return;
      if (!quiet) setCheck({ kind: 'running' });
      try {
        const answer = await teachApi.check(lab.id, step);
        setCheck({ kind: 'done', ...answer });
        if (answer.passed) setPassed((p) => new Set([...p, step]));
      } catch (err) {
        if (!quiet) setCheck({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
      }
    },
    [lab.id, step],
  );
  const runCheck = useCallback(() => recheck(false), [recheck]);

  // Setup when a step is entered (and on every new connection, which may be a new sandbox); then the
  // step's typeOnEnter, once per entry (not again on a reconnect to the same step).
  useEffect(() => {
    if (!connected || step == null || episode === 0) return;
    const s = lab.steps[step];
    if (!s) return;
    let live = true;
    void (async () => {
      if (lab.hasSetup || s.hasSetup) {
        setSetup({ kind: 'running' });
        try {
          const r = await teachApi.setup(lab.id, step);
          if (live) setSetup({ kind: r.ok ? 'done' : 'failed', message: r.message });
        } catch (err) {
          if (live) setSetup({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
        }
      } else setSetup({ kind: 'idle' });
      if (live && s.typeOnEnter && typedFor.current !== step) {
        typedFor.current = step;
        await teachApi.type(lab.id, step, 'enter').catch(() => undefined);
      }
    })();
    return () => {
      live = false;
    };
  }, [connected, step, episode, lab]);

  // `every:` re-checks while the step is open, until it passes.
  const every = current?.hasCheck ? current.recheckSeconds : undefined;
  const stepPassed = step != null && passed.has(step);
  useEffect(() => {
    if (!connected || !every || stepPassed) return;
    let n = 0;
    const timer = setInterval(() => {
      if (++n > MAX_RECHECKS) clearInterval(timer);
      else void recheck(true);
    }, every * 1000);
    return () => clearInterval(timer);
  }, [connected, every, stepPassed, recheck]);

  const typeSolution = useCallback(async (): Promise<string | null> => {
    if (step == null) return null;
    try {
      await teachApi.type(lab.id, step, 'solution');
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }, [lab.id, step]);

  const nextBlocked = Boolean(lab.requireCheck && current?.hasCheck && !stepPassed);
  return { passed, check, setup, runCheck, typeSolution, nextBlocked };
}
